import { compileProfile, labelMix, OpenLoopGenerator, PROFILE_KIND, RunRecorder, WarmUp, watchLegCpu, type GeneratorPlan } from '../load/index.js';
import { INTERACTION } from '../transport/index.js';
import { WIRE_PROTOCOL, type WireProtocol } from './closed-loop.js';
import { connectNatsLoad } from './nats-load.js';

export interface OpenLoopOptions {
  host: string;
  port: number;
  protocol: WireProtocol;
  route: string;
  payloadBytes: number;
  /** Requests per second, sent on schedule whatever the answers do. */
  rate: number;
  warmupMs: number;
  durationMs: number;
  /** The generator's pacing window, ms (GeneratorPlan.pacingMs). */
  pacingMs: number;
  /** The broker's process (rsb's broker or nats-server): its CPU time is read over the measured run; absent without a broker. */
  brokerPid?: number;
}

export interface OpenLoopResult {
  rate: number;
  pacingMs: number;
  sent: number;
  ok: number;
  errors: number;
  achievedRate: number;
  /** Latency from each request's intended send time (corrected for coordinated omission), µs. */
  p50Us: number;
  p99Us: number;
  p999Us: number;
  /** How late requests left against their intended time, p99, µs. */
  lagP99Us: number;
  /** CPU time per request sent, µs: the broker's process (absent without a broker), and this generator's (the whole requester process). */
  brokerCpuUsPerRequest: number | undefined;
  generatorCpuUsPerRequest: number;
}

/**
 * `rsb bench --rate`: `rate` requests/s for `durationMs` through rsb load's own open-loop
 * generator (one worker, one connection, on this thread), after its warm-up ramp; the
 * broker's and this process's CPU time over the measured run, per request.
 */
export async function measureOpenLoop(options: OpenLoopOptions): Promise<OpenLoopResult> {
  const plan: GeneratorPlan = {
    profile: { kind: PROFILE_KIND.CONSTANT, rate: options.rate, durationMs: options.durationMs },
    mix: [{ route: options.route, mode: INTERACTION.REQUEST_RESPONSE, weight: 1, payload: { kind: 'fixed', bytes: options.payloadBytes }, items: 0 }],
    targets: [{ name: 'broker', host: options.host, port: options.port }],
    connectionsPerTarget: 1,
    timeoutMs: 10_000,
    worker: 0,
    workers: 1,
    intervalMs: 1_000,
    appName: 'rsb-bench-rate',
    seed: 1,
    warmupMs: options.warmupMs,
    pacingMs: options.pacingMs,
  };
  const connect = options.protocol === WIRE_PROTOCOL.NATS ? connectNatsLoad(Buffer.alloc(options.payloadBytes, 0x61)) : undefined;
  const schedule = compileProfile(plan.profile);
  const recorder = new RunRecorder(schedule, labelMix(plan.mix), plan.targets, 1, () => {});
  const generator = new OpenLoopGenerator(plan, { onInterval: (snapshot) => recorder.add(snapshot) }, connect);
  await generator.connect();
  try {
    await new WarmUp(plan, connect).run();
    const cpuWatch = watchLegCpu([{ name: 'broker', pid: options.brokerPid, isFaulted: false }], []);
    await generator.run(performance.timeOrigin + performance.now());
    cpuWatch.stop();
    const figures = recorder.figures();
    const cpu = cpuWatch.price({ sent: figures.sent, brokers: [figures.sent], mocks: [] });
    const seconds = options.durationMs / 1000;
    const corrected = figures.latency.corrected;
    return {
      rate: options.rate,
      pacingMs: options.pacingMs,
      sent: figures.sent,
      ok: figures.ok,
      errors: figures.errors,
      achievedRate: figures.ok / seconds,
      p50Us: corrected?.p50Us ?? 0,
      p99Us: corrected?.p99Us ?? 0,
      p999Us: corrected?.p999Us ?? 0,
      lagP99Us: figures.latency.scheduleLag?.p99Us ?? 0,
      brokerCpuUsPerRequest: cpu.brokers[0]?.cpuUsPerRequest,
      generatorCpuUsPerRequest: cpu.load.cpuUsPerRequest ?? 0,
    };
  } finally {
    await generator.close();
  }
}

