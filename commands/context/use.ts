import { Args, Flags } from '@oclif/core';
import { RsbCommand } from '../../src/cli/index.js';
import { useContext } from '../../src/context/index.js';
import { UsageError } from '../../src/errors.js';

export default class ContextUse extends RsbCommand {
  static override summary = 'Make a context the current one: every command that connects uses it when no flag says otherwise.';
  static override description = 'RSB_CONTEXT and --context still pick another for one shell or one command. --none leaves no context current.';
  static override examples = ['<%= config.bin %> context use prod', '<%= config.bin %> context use --none'];
  static override enableJsonFlag = true;

  static override args = {
    name: Args.string({ description: 'The context to make current.' }),
  };

  static override flags = {
    none: Flags.boolean({ description: 'Make no context current: commands go back to their defaults.', default: false }),
  };

  async run(): Promise<{ file: string; current: string | null; previous: string | null }> {
    const { args, flags } = await this.parse(ContextUse);
    if ((args.name === undefined) === !flags.none) {
      throw new UsageError(flags.none ? 'give a context NAME or --none, not both' : 'rsb context use needs a context NAME, or --none', 'For example: rsb context use prod');
    }
    const result = useContext(args.name);
    this.log(result.current ? `current context: ${result.current}` : 'no context is current: commands use their defaults');
    return { file: result.file, current: result.current ?? null, previous: result.previous ?? null };
  }
}
