import { execFile } from 'node:child_process';
import { PROCESS_START_FAILURE, ProcessStartError } from '../errors.js';

/**
 * Runs a command-line tool to its end (`openssl` making development certificates) and
 * resolves with what it printed; rejects with ProcessStartError when it cannot be run
 * (`spawn-failed`: not installed) or exits with an error (`exited`, its last lines kept).
 */
export function runTool(command: string, args: readonly string[], options: { cwd?: string; timeoutMs?: number } = {}): Promise<string> {
  return new Promise((resolve, reject) => {
    execFile(command, args, { cwd: options.cwd, timeout: options.timeoutMs ?? 30_000, encoding: 'utf8' }, (error, stdout, stderr) => {
      if (!error) {
        resolve(stdout);
        return;
      }
      const errno = (error as NodeJS.ErrnoException).code;
      const isMissing = errno === 'ENOENT';
      const tail = `${stderr}`.trim().split('\n').slice(-5);
      const detail = isMissing ? 'is not installed' : `exited with ${error.code ?? error.signal ?? 'an error'}`;
      reject(
        new ProcessStartError(
          isMissing ? PROCESS_START_FAILURE.SPAWN_FAILED : PROCESS_START_FAILURE.EXITED,
          detail,
          `${command} ${detail}${tail.length > 0 && tail[0] !== '' ? `: ${tail.at(-1)}` : ''}`,
          tail,
          undefined,
          { cause: error },
        ),
      );
    });
  });
}
