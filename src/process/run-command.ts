import { execFile } from 'node:child_process';

/** What a command that ran to its end said. */
export interface CommandResult {
  /** Its exit code; null when it was killed (by the timeout, or a signal). */
  code: number | null;
  stdout: string;
  stderr: string;
}

/** A tool rsb runs is not expected to take longer; one that hangs is killed. */
const DEFAULT_COMMAND_TIMEOUT_MS = 10_000;
const MAX_OUTPUT_BYTES = 4 * 1024 * 1024;

/**
 * Runs a system tool (`ip`, `tc`, `dnsmasq`) to its end and hands back its exit code and
 * output: never a shell, so no argument is ever interpreted. A tool that is not
 * installed comes back as code 127, as a shell would say it. The caller decides what a
 * non-zero code means.
 */
export function runCommand(file: string, args: readonly string[], options: { timeoutMs?: number } = {}): Promise<CommandResult> {
  return new Promise((resolve) => {
    execFile(
      file,
      args,
      { timeout: options.timeoutMs ?? DEFAULT_COMMAND_TIMEOUT_MS, maxBuffer: MAX_OUTPUT_BYTES, encoding: 'utf8', env: { ...process.env, LC_ALL: 'C' } },
      (error, stdout, stderr) => {
        if (!error) return resolve({ code: 0, stdout, stderr });
        const failure = error as NodeJS.ErrnoException & { code?: number | string; killed?: boolean };
        if (failure.code === 'ENOENT') return resolve({ code: 127, stdout, stderr: `${file}: not found` });
        resolve({ code: typeof failure.code === 'number' && !failure.killed ? failure.code : null, stdout, stderr: stderr || failure.message });
      },
    );
  });
}
