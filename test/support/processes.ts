import { spawn, type ChildProcessWithoutNullStreams } from 'node:child_process';
import { fileURLToPath } from 'node:url';

export const RSB_BIN = fileURLToPath(new URL('../../bin/run.js', import.meta.url));

/** A CLI process started as a user would (`node bin/run.js ...`), with its output collected. */
export class RsbProcess {
  readonly child: ChildProcessWithoutNullStreams;
  stdout = '';
  stderr = '';
  readonly exited: Promise<number | null>;

  constructor(args: string[], env: NodeJS.ProcessEnv = {}, cwd?: string) {
    this.child = spawn(process.execPath, [RSB_BIN, ...args], { env: { ...process.env, CI: '1', ...env }, cwd });
    this.child.stdout.setEncoding('utf8').on('data', (text: string) => (this.stdout += text));
    this.child.stderr.setEncoding('utf8').on('data', (text: string) => (this.stderr += text));
    this.exited = new Promise((resolve) => this.child.on('exit', (code) => resolve(code)));
  }

  /** Waits until stdout matches, and returns the match. */
  waitForOutput(pattern: RegExp, timeoutMs = 10_000): Promise<RegExpMatchArray> {
    return this.waitFor(() => this.stdout, pattern, timeoutMs);
  }

  /** Waits until stderr matches (commands print progress there under --json). */
  waitForStderr(pattern: RegExp, timeoutMs = 10_000): Promise<RegExpMatchArray> {
    return this.waitFor(() => this.stderr, pattern, timeoutMs);
  }

  private async waitFor(read: () => string, pattern: RegExp, timeoutMs: number): Promise<RegExpMatchArray> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const match = read().match(pattern);
      if (match) return match;
      if (this.child.exitCode !== null) throw new Error(`process exited (${this.child.exitCode}) before printing ${pattern}:\n${this.stdout}${this.stderr}`);
      if (Date.now() > deadline) throw new Error(`no ${pattern} within ${timeoutMs} ms:\n${this.stdout}${this.stderr}`);
      await new Promise((resolve) => setTimeout(resolve, 20));
    }
  }

  /** SIGTERM, then SIGKILL if it lingers; resolves with the exit code. */
  async stop(signal: NodeJS.Signals = 'SIGTERM'): Promise<number | null> {
    if (this.child.exitCode === null && this.child.signalCode === null) {
      this.child.kill(signal);
      const timer = setTimeout(() => this.child.kill('SIGKILL'), 5_000);
      const code = await this.exited;
      clearTimeout(timer);
      return code;
    }
    return this.child.exitCode;
  }
}

/** Runs the CLI to completion and returns its exit code and output. */
export async function runRsb(
  args: string[],
  options: { env?: NodeJS.ProcessEnv; input?: string; timeoutMs?: number; cwd?: string } = {},
): Promise<{ code: number | null; stdout: string; stderr: string }> {
  const run = new RsbProcess(args, options.env, options.cwd);
  if (options.input !== undefined) run.child.stdin.end(options.input);
  else run.child.stdin.end();
  const timer = setTimeout(() => run.child.kill('SIGKILL'), options.timeoutMs ?? 15_000);
  const code = await run.exited;
  clearTimeout(timer);
  // Let the last output events land.
  await new Promise((resolve) => setImmediate(resolve));
  return { code, stdout: run.stdout, stderr: run.stderr };
}

/** `rsb start` as a real process, on any free port unless one is given; resolves once it listens, with its port. */
export async function startBrokerProcess(extraArgs: string[] = [], port = 0): Promise<{ broker: RsbProcess; port: number }> {
  const broker = new RsbProcess(['start', '--port', String(port), ...extraArgs]);
  const match = await broker.waitForOutput(/listening on [\d.]+:(\d+)/);
  return { broker, port: Number(match[1]) };
}
