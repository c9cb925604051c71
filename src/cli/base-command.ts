import { Command, Flags, toConfiguredId } from '@oclif/core';
import { announceFailure } from '../process/index.js';
import { exitCodeFor, printError, toReportableError, type CommandFacts } from './error-output.js';
import { EXIT_CODE } from './exit-codes.js';

/**
 * What every rsb command shares: `--debug`, and errors printed as one sentence and a hint
 * with a documented exit code — its own errors and oclif's parse errors alike; stack
 * traces only with `--debug`.
 */
export abstract class RsbCommand extends Command {
  static override baseFlags = {
    debug: Flags.boolean({ description: 'Print stack traces (and, where a command supports it, frames) to stderr.', default: false, helpGroup: 'GLOBAL' }),
  };

  /**
   * Flag spellings this command took before and no longer does, each with the hint that
   * says what to write now: a user's old script gets told, not just refused.
   */
  static retiredFlags: Readonly<Record<string, string>> = {};

  protected override async catch(error: Error & { exitCode?: number; oclif?: { exit?: number } }): Promise<unknown> {
    // A command that rsb itself started (a cluster's broker, a load run's mock) tells its parent why, before it was ready.
    announceFailure(error);
    const reportable = toReportableError(error, this.describeForErrors());
    if (!reportable) {
      // oclif's exit requests (`this.exit(n)`) and bugs: under --json oclif would exit 1 whatever the code, so set it here.
      if (this.jsonEnabled()) process.exitCode = error.oclif?.exit ?? error.exitCode ?? EXIT_CODE.ERROR;
      return super.catch(error);
    }
    printError(reportable, process.argv.includes('--debug'));
    process.exitCode = exitCodeFor(reportable);
    // A failed parse is a parse: oclif would otherwise warn (outside production) that the command never parsed its flags.
    this.parsed = true;
    return undefined;
  }

  private describeForErrors(): CommandFacts {
    const ctor = this.ctor as typeof Command & { retiredFlags?: Record<string, string> };
    const flags = { ...ctor.baseFlags, ...ctor.flags, ...(ctor.enableJsonFlag ? { json: {} } : {}) } as Record<string, { char?: string; aliases?: string[] }>;
    return {
      id: toConfiguredId(this.id ?? '', this.config),
      flags,
      args: Object.entries(ctor.args ?? {}).map(([name, arg]) => ({ name, description: arg.description })),
      examples: (ctor.examples ?? []).map((example) => (typeof example === 'string' ? example : example.command).replace(/<%= config\.bin %>/g, this.config.bin)),
      retiredFlags: ctor.retiredFlags,
    };
  }
}
