import { RSB_BIN } from '../cli/paths.js';
import { launchProcess, LIFETIME, readProcessMemory, type BrokerReady, type LaunchedProcess, type ProcessMemory } from '../process/index.js';

/** Time `rsb start` gets to listen. */
const READY_TIMEOUT_MS = 15_000;
/** Time it gets to stop after SIGTERM before SIGKILL. */
const STOP_GRACE_MS = 5_000;

/** `rsb start` as a child process of the caller, with its port and its memory as the kernel reports it. */
export class BrokerProcess {
  private constructor(private readonly process: LaunchedProcess<BrokerReady>) {}

  /** Starts `rsb start --port 0 ...args` and resolves once it listens. */
  static async start(args: string[] = []): Promise<BrokerProcess> {
    return new BrokerProcess(
      await launchProcess<BrokerReady>({ name: 'rsb start', script: RSB_BIN, args: ['start', '--port', '0', ...args], lifetime: LIFETIME.SAME_GROUP, readyTimeoutMs: READY_TIMEOUT_MS }),
    );
  }

  get port(): number {
    return this.process.ready.port;
  }

  /** Every listener's URI (`tcp://…`, `tcps://…`, `ws://…/path`). */
  get uris(): readonly string[] {
    return this.process.ready.uris;
  }

  get pid(): number {
    return this.process.pid;
  }

  get isRunning(): boolean {
    return this.process.isRunning;
  }

  /** Resident set size now and at its peak (VmRSS, VmHWM), in bytes. */
  memory(): ProcessMemory {
    return readProcessMemory(this.pid) ?? { rssBytes: NaN, peakRssBytes: NaN };
  }

  /** SIGTERM, SIGKILL if it lingers; resolves with its exit code. */
  async stop(): Promise<number | null> {
    await this.process.stop(STOP_GRACE_MS);
    return (await this.process.exited).code;
  }
}
