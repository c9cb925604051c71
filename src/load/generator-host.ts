import { Worker } from 'node:worker_threads';
import { ConnectError, NoBrokerError, RSB_ERROR_CODE, RsbError, type RsbErrorCode } from '../errors.js';
import type { PoolEvent } from './connection-pool.js';
import { addWarmupCounts, createWarmupCounts, OpenLoopGenerator, WarmUp, type GeneratorPlan, type GeneratorSink, type IntervalSnapshot, type WarmupCounts } from './generator.js';

export type HostMessage = { kind: 'start'; startAtEpochMs: number } | { kind: 'stop' };
export type WorkerMessage =
  | { kind: 'connected'; warmup: WarmupCounts }
  | { kind: 'failed'; message: string; code?: string; hint?: string }
  | { kind: 'interval'; snapshot: IntervalSnapshot }
  | { kind: 'pool'; event: PoolEvent }
  | { kind: 'done' };

/** What drives load: the lean RSocket generators here; an HTTP engine (autocannon) can sit behind the same face. */
export interface LoadEngine {
  /** Connects and warms up, unmeasured; resolves with what the warm-up sent. A stop() meanwhile cuts the warm-up short. Call close() afterwards, also when it fails. */
  prepare(): Promise<WarmupCounts>;
  /** Runs the schedule from `startAtEpochMs` (performance.timeOrigin + performance.now()); resolves when everything sent has ended. */
  run(startAtEpochMs: number): Promise<void>;
  /** Sends nothing more, in the warm-up or the run; what is in flight still ends. */
  stop(): void;
  close(): Promise<void>;
}

const WORKER_SCRIPT = new URL('./load-worker.js', import.meta.url);

/**
 * One generator per plan, each on its own worker thread so that the main thread
 * (reporting, Ink, faults) never delays a send; or all on this thread when `isInThread`
 * (tests running from the TypeScript sources, where there is no compiled worker script).
 * `prepare()` connects them all and warms them up.
 */
export function startGenerators(plans: GeneratorPlan[], sink: GeneratorSink, isInThread: boolean): LoadEngine {
  if (!isInThread) return combine(plans.map((plan) => new WorkerGenerator(plan, sink)));
  return combine(
    plans.map((plan) => {
      const generator = new OpenLoopGenerator(plan, sink);
      const warmUp = new WarmUp(plan);
      return {
        prepare: async () => {
          await generator.connect();
          return warmUp.run();
        },
        run: (startAtEpochMs: number) => generator.run(startAtEpochMs),
        stop: () => {
          warmUp.stop();
          generator.stop();
        },
        close: () => generator.close(),
      };
    }),
  );
}

/** Several generators as one engine: prepared together (their warm-ups added up), run, stopped and closed together. */
function combine(engines: LoadEngine[]): LoadEngine {
  return {
    // On a failure the caller closes the engine, as after any run.
    prepare: async () => {
      const counts = await Promise.all(engines.map((engine) => engine.prepare()));
      const total = createWarmupCounts();
      for (const count of counts) addWarmupCounts(total, count);
      return total;
    },
    run: async (startAtEpochMs) => {
      await Promise.all(engines.map((engine) => engine.run(startAtEpochMs)));
    },
    stop: () => engines.forEach((engine) => engine.stop()),
    close: async () => {
      await Promise.allSettled(engines.map((engine) => engine.close()));
    },
  };
}

/** The worker's error, as the class the CLI maps to an exit code (no connection: 7). */
function reviveError(failure: { message: string; code?: string; hint?: string }): Error {
  switch (failure.code) {
    case RSB_ERROR_CODE.CONNECT:
      return new ConnectError(failure.message, failure.hint);
    case RSB_ERROR_CODE.NO_BROKER:
      return new NoBrokerError(failure.message, failure.hint);
    case undefined:
      return new Error(failure.message);
    default:
      return new RsbError(failure.code as RsbErrorCode, failure.message, failure.hint);
  }
}

class WorkerGenerator implements LoadEngine {
  private readonly worker: Worker;
  private readonly connected: Promise<WarmupCounts>;
  private readonly done: Promise<void>;
  private isExited = false;

  constructor(plan: GeneratorPlan, sink: GeneratorSink) {
    this.worker = new Worker(WORKER_SCRIPT, { workerData: { plan } });
    let resolveConnected!: (warmup: WarmupCounts) => void;
    let rejectConnected!: (error: Error) => void;
    let resolveDone!: () => void;
    let rejectDone!: (error: Error) => void;
    this.connected = new Promise((resolve, reject) => ((resolveConnected = resolve), (rejectConnected = reject)));
    this.done = new Promise((resolve, reject) => ((resolveDone = resolve), (rejectDone = reject)));
    this.done.catch(() => {});
    this.worker.on('message', (message: WorkerMessage) => {
      switch (message.kind) {
        case 'connected':
          return resolveConnected(message.warmup);
        case 'failed':
          return rejectConnected(reviveError(message));
        case 'interval':
          return sink.onInterval(message.snapshot);
        case 'pool':
          return sink.onPoolEvent?.(message.event);
        case 'done':
          return resolveDone();
      }
    });
    const onEnd = (error: Error): void => {
      this.isExited = true;
      rejectConnected(error);
      rejectDone(error);
    };
    this.worker.on('error', (error) => onEnd(new Error(`load worker ${plan.worker} failed: ${error.message}`, { cause: error })));
    this.worker.on('exit', (code) => onEnd(new Error(`load worker ${plan.worker} exited with code ${code}`)));
  }

  /** The worker connects and warms up as soon as it starts. */
  prepare(): Promise<WarmupCounts> {
    return this.connected;
  }

  run(startAtEpochMs: number): Promise<void> {
    this.post({ kind: 'start', startAtEpochMs });
    return this.done;
  }

  stop(): void {
    this.post({ kind: 'stop' });
  }

  async close(): Promise<void> {
    if (!this.isExited) await this.worker.terminate();
  }

  private post(message: HostMessage): void {
    if (!this.isExited) this.worker.postMessage(message);
  }
}
