/**
 * A worker thread running one open-loop generator (`rsb load --workers N`). The main
 * thread sends the plan as workerData, then `start` and maybe `stop`; the worker posts
 * `connected` (with what its warm-up sent), interval snapshots, pool events, and `done`.
 */
import { parentPort, workerData } from 'node:worker_threads';
import { RsbError } from '../errors.js';
import { OpenLoopGenerator, WarmUp, type GeneratorPlan } from './generator.js';
import type { HostMessage, WorkerMessage } from './generator-host.js';

const port = parentPort!;
const post = (message: WorkerMessage): void => port.postMessage(message);
const plan = (workerData as { plan: GeneratorPlan }).plan;
const generator = new OpenLoopGenerator(plan, {
  onInterval: (snapshot) => post({ kind: 'interval', snapshot }),
  onPoolEvent: (event) => post({ kind: 'pool', event }),
});

const warmUp = new WarmUp(plan);

port.on('message', (message: HostMessage) => {
  if (message.kind === 'start') {
    void generator.run(message.startAtEpochMs).then(async () => {
      await generator.close();
      post({ kind: 'done' });
    });
  } else if (message.kind === 'stop') {
    warmUp.stop();
    generator.stop();
  }
});

generator
  .connect()
  .then(() => warmUp.run())
  .then(
    (warmup) => post({ kind: 'connected', warmup }),
    (error: unknown) => {
      const isRsb = error instanceof RsbError;
      post({ kind: 'failed', message: error instanceof Error ? error.message : String(error), code: isRsb ? error.code : undefined, hint: isRsb ? error.hint : undefined });
    },
  );
