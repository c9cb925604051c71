import { Command, Flags } from '@oclif/core';
import { ClusterNotFoundError, ConnectError, LabUnavailableError, NoBrokerError, ResolveError, RsbError, RSocketRequestError, SetupRejectedError, TimeoutError, UsageError } from '../errors.js';
import { announceFailure } from '../process/index.js';
import { ProtocolError } from '../protocol/index.js';
import { EXIT_CODE, type ExitCode } from './exit-codes.js';

/**
 * What every rsb command shares: `--debug`, and errors printed as one sentence and a hint
 * with a documented exit code; stack traces only with `--debug`.
 */
export abstract class RsbCommand extends Command {
  static override baseFlags = {
    debug: Flags.boolean({ description: 'Print stack traces (and, where a command supports it, frames) to stderr.', default: false, helpGroup: 'GLOBAL' }),
  };

  protected override async catch(error: Error & { exitCode?: number; oclif?: { exit?: number } }): Promise<unknown> {
    // A command that rsb itself started (a cluster's broker, a load run's mock) tells its parent why, before it was ready.
    announceFailure(error);
    if (!(error instanceof RsbError) && !(error instanceof ProtocolError)) {
      // oclif's own errors (bad flags exit 2, `this.error(..., {exit})`, `this.exit(n)`) keep
      // their wording; under --json oclif would exit 1 whatever the code, so set it here.
      if (this.jsonEnabled()) process.exitCode = error.oclif?.exit ?? error.exitCode ?? EXIT_CODE.ERROR;
      return super.catch(error);
    }
    const isDebug = process.argv.includes('--debug');
    const hint = error instanceof RsbError && error.hint ? `\n  hint: ${error.hint}` : '';
    process.stderr.write(`rsb: ${error.message}${hint}\n`);
    if (isDebug && error.stack) process.stderr.write(`${error.stack}\n`);
    process.exitCode = exitCodeFor(error);
    return undefined;
  }
}

export function exitCodeFor(error: Error): ExitCode {
  if (error instanceof UsageError || error instanceof ClusterNotFoundError || error instanceof LabUnavailableError) return EXIT_CODE.USAGE;
  if (error instanceof RSocketRequestError) return EXIT_CODE.RSOCKET_ERROR;
  if (error instanceof TimeoutError) return EXIT_CODE.TIMEOUT;
  if (error instanceof ConnectError || error instanceof SetupRejectedError || error instanceof NoBrokerError || error instanceof ResolveError) return EXIT_CODE.NO_CONNECTION;
  return EXIT_CODE.ERROR;
}
