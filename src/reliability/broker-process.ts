import { spawn, type ChildProcess } from 'node:child_process';
import { RSB_BIN } from '../cli/paths.js';
import { readProcessMemory } from '../cluster/index.js';

/** `rsb start` as a child process of the caller, with its port and its memory as the kernel reports it. */
export class BrokerProcess {
  private constructor(
    private readonly child: ChildProcess,
    readonly port: number,
  ) {}

  /** Starts `rsb start --port 0 ...args` and resolves once it listens. */
  static async start(args: string[] = []): Promise<BrokerProcess> {
    const child = spawn(process.execPath, [RSB_BIN, 'start', '--port', '0', ...args], { stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, CI: '1' } });
    let output = '';
    const port = await new Promise<number>((resolve, reject) => {
      const onData = (text: Buffer): void => {
        output += text.toString();
        const match = /listening on [\d.]+:(\d+)/.exec(output);
        if (match) resolve(Number(match[1]));
      };
      child.stdout!.on('data', onData);
      child.stderr!.on('data', (text: Buffer) => (output += text.toString()));
      child.once('exit', (code) => reject(new Error(`rsb start exited with ${code} before listening: ${output.trim()}`)));
    });
    child.stdout!.resume();
    return new BrokerProcess(child, port);
  }

  get pid(): number {
    return this.child.pid!;
  }

  get isRunning(): boolean {
    return this.child.exitCode === null && this.child.signalCode === null;
  }

  /** Resident set size now and at its peak (VmRSS, VmHWM), in bytes. */
  memory(): { rssBytes: number; peakRssBytes: number } {
    return readProcessMemory(this.pid) ?? { rssBytes: NaN, peakRssBytes: NaN };
  }

  async stop(): Promise<number | null> {
    if (!this.isRunning) return this.child.exitCode;
    const exited = new Promise<number | null>((resolve) => this.child.once('exit', (code) => resolve(code)));
    this.child.kill('SIGTERM');
    const timer = setTimeout(() => this.child.kill('SIGKILL'), 5_000);
    const code = await exited;
    clearTimeout(timer);
    return code;
  }
}
