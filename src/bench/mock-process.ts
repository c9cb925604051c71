import { spawn, type ChildProcessWithoutNullStreams } from 'node:child_process';
import { RSB_BIN } from '../cli/paths.js';
const READY_TIMEOUT_MS = 20_000;

/**
 * `rsb mock SERVICE --broker 127.0.0.1:PORT` as its own process, started the way a user
 * (or a load run's topology) starts it, ready once it prints its ready line.
 */
export class MockProcess {
  readonly ready: Promise<void>;
  private readonly child: ChildProcessWithoutNullStreams;

  constructor(service: string, brokerPort: number) {
    this.child = spawn(process.execPath, [RSB_BIN, 'mock', service, '--methods', 'echo', '--broker', `127.0.0.1:${brokerPort}`], {
      env: { ...process.env, CI: '1' },
    });
    this.ready = new Promise((resolve, reject) => {
      let output = '';
      const timer = setTimeout(() => reject(new Error(`rsb mock did not get ready within ${READY_TIMEOUT_MS} ms:\n${output}`)), READY_TIMEOUT_MS);
      this.child.stdout.setEncoding('utf8').on('data', (text: string) => {
        output += text;
        if (/ ready: /.test(output)) {
          clearTimeout(timer);
          resolve();
        }
      });
      this.child.stderr.setEncoding('utf8').on('data', (text: string) => (output += text));
      this.child.on('exit', (code) => {
        clearTimeout(timer);
        reject(new Error(`rsb mock exited with code ${code}:\n${output}`));
      });
    });
    this.ready.catch(() => {});
  }

  kill(): void {
    if (this.child.exitCode === null && this.child.signalCode === null) this.child.kill('SIGKILL');
  }
}
