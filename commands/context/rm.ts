import { Args } from '@oclif/core';
import { RsbCommand } from '../../src/cli/index.js';
import { removeContext } from '../../src/context/index.js';

export default class ContextRm extends RsbCommand {
  static override summary = 'Remove a saved context; removing the current one leaves none current.';
  static override examples = ['<%= config.bin %> context rm prod'];
  static override enableJsonFlag = true;

  static override args = {
    name: Args.string({ description: 'The context to remove.', required: true }),
  };

  async run(): Promise<{ file: string; name: string; wasCurrent: boolean }> {
    const { args } = await this.parse(ContextRm);
    const removed = removeContext(args.name);
    this.log(`context ${removed.name} removed${removed.wasCurrent ? '; no context is current now' : ''}`);
    return removed;
  }
}
