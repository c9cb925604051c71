import { RsbCommand } from '../../src/cli/index.js';
import { formatContextList, listContexts, toContextView, type ContextView } from '../../src/context/index.js';

export default class ContextLs extends RsbCommand {
  static override summary = 'List the saved contexts; the current one is starred.';
  static override description = 'Tokens are never shown. A line says so when RSB_CONTEXT picks another context than the current one.';
  static override examples = ['<%= config.bin %> context ls', '<%= config.bin %> context ls --json'];
  static override enableJsonFlag = true;

  async run(): Promise<{ file: string; current: string | null; inUse: string | null; contexts: ContextView[] }> {
    await this.parse(ContextLs);
    const list = listContexts();
    for (const line of formatContextList(list)) this.log(line);
    return {
      file: list.file,
      current: list.current ?? null,
      inUse: list.inUse?.name ?? null,
      contexts: list.contexts.map(({ name, context }) => toContextView(name, context, list.current)),
    };
  }
}
