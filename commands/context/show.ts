import { Args } from '@oclif/core';
import { RsbCommand } from '../../src/cli/index.js';
import { formatContext, showContext, toContextView, type ContextOrigin, type ContextView } from '../../src/context/index.js';

export default class ContextShow extends RsbCommand {
  static override summary = 'Show a context (the one in use when no NAME is given), its token masked.';
  static override examples = ['<%= config.bin %> context show', '<%= config.bin %> context show prod --json'];
  static override enableJsonFlag = true;

  static override args = {
    name: Args.string({ description: 'The context to show; default: the one in use.' }),
  };

  async run(): Promise<ContextView & { origin: ContextOrigin; file: string }> {
    const { args } = await this.parse(ContextShow);
    const shown = showContext(args.name);
    const view = toContextView(shown.name, shown.context, shown.current);
    for (const line of formatContext(view, shown.origin, shown.file)) this.log(line);
    return { ...view, origin: shown.origin, file: shown.file };
  }
}
