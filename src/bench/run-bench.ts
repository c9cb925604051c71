import { fork, type ChildProcess } from 'node:child_process';
import os from 'node:os';
import { fileURLToPath } from 'node:url';
import type { BenchMessage, BenchRole } from './bench-process.js';
import { MockProcess } from './mock-process.js';
import type { ClosedLoopResult } from './closed-loop.js';

export const BENCH_SETUP = {
  /** lean requester → rsb broker → lean echo service */
  RSB: 'rsb',
  /** the same with limits, circuit breakers, a request timeout and metrics on (scraped every second) */
  RSB_MANAGED: 'rsb-managed',
  /** the same endpoints through a broker built on the full rsocket-js stack */
  REFERENCE: 'reference',
  /** lean requester → lean echo service, no broker */
  DIRECT: 'direct',
  /** lean requester → rsb broker → a real `rsb mock bench` process, spawned as a user would */
  MOCK: 'mock',
} as const;
export type BenchSetup = (typeof BENCH_SETUP)[keyof typeof BENCH_SETUP];

export interface BenchOptions {
  setups: BenchSetup[];
  inFlight: number[];
  runs: number;
  warmupMs: number;
  durationMs: number;
  payloadBytes: number;
  onProgress?: (line: string) => void;
}

export interface BenchRow {
  setup: BenchSetup;
  inFlight: number;
  runs: ClosedLoopResult[];
  /** Medians over the runs, each figure on its own. */
  requestsPerSecond: number;
  p50Us: number;
  p99Us: number;
  p999Us: number;
  errors: number;
  /** CPU time of the broker process per request, in microseconds (median); absent without a broker. */
  brokerCpuUsPerRequest: number | undefined;
}

export interface BenchVerdict {
  target: string;
  measured: string;
  isMet: boolean;
}

export interface BenchReport {
  machine: { cpus: number; cpuModel: string; memoryGiB: number; node: string; platform: string };
  options: Omit<BenchOptions, 'onProgress'>;
  rows: BenchRow[];
  verdicts: BenchVerdict[];
}

const SERVICE = 'bench';
const ROUTE = `${SERVICE}.echo`;
/** How often the managed set-up's metrics are scraped: far more often than Prometheus would, to price it high. */
const SCRAPE_INTERVAL_MS = 1_000;
/** The managed broker must keep at least this share of the bare broker's throughput (the management issue's target). */
const MANAGED_SHARE_TARGET = 0.85;
/** rsocket-js servers crash on a first chunk holding more than SETUP: give them time to read it alone. */
const RSOCKET_JS_SETTLE_MS = 20;
const BENCH_PROCESS = fileURLToPath(new URL('./bench-process.js', import.meta.url));

/**
 * `npm run bench`: each set-up on 127.0.0.1 as separate processes, each in-flight level
 * measured `runs` times with the set-ups interleaved (so that the VM's noise falls on all
 * of them alike), medians reported side by side with the targets of the broker issue.
 */
export async function runBench(options: BenchOptions): Promise<BenchReport> {
  const progress = options.onProgress ?? (() => {});
  const samples = new Map<string, { result: ClosedLoopResult; brokerCpuUs: number | undefined }[]>();
  for (let run = 1; run <= options.runs; run++) {
    for (const setup of options.setups) {
      const topology = await startTopology(setup);
      try {
        for (const inFlight of options.inFlight) {
          const cpuBefore = await topology.broker?.cpuMicros();
          const result = await measureInChild(topology.port, inFlight, setup === BENCH_SETUP.REFERENCE ? RSOCKET_JS_SETTLE_MS : 0, options);
          const cpuAfter = await topology.broker?.cpuMicros();
          const totalRequests = result.requestsPerSecond * ((options.warmupMs + options.durationMs) / 1000);
          const brokerCpuUs = cpuBefore !== undefined && cpuAfter !== undefined ? (cpuAfter - cpuBefore) / totalRequests : undefined;
          const key = `${setup}/${inFlight}`;
          samples.set(key, [...(samples.get(key) ?? []), { result, brokerCpuUs }]);
          progress(
            `run ${run}/${options.runs}  ${setup.padEnd(9)} in flight ${String(inFlight).padStart(4)}: ` +
              `${Math.round(result.requestsPerSecond).toLocaleString('en-US')} req/s, p50 ${result.p50Us} µs, p99 ${result.p99Us} µs`,
          );
        }
      } finally {
        topology.stop();
      }
    }
  }
  const rows: BenchRow[] = [];
  for (const setup of options.setups) {
    for (const inFlight of options.inFlight) {
      const runs = samples.get(`${setup}/${inFlight}`) ?? [];
      const cpu = runs.map((sample) => sample.brokerCpuUs).filter((value): value is number => value !== undefined);
      rows.push({
        setup,
        inFlight,
        runs: runs.map((sample) => sample.result),
        requestsPerSecond: median(runs.map((sample) => sample.result.requestsPerSecond)),
        p50Us: median(runs.map((sample) => sample.result.p50Us)),
        p99Us: median(runs.map((sample) => sample.result.p99Us)),
        p999Us: median(runs.map((sample) => sample.result.p999Us)),
        errors: runs.reduce((sum, sample) => sum + sample.result.errors, 0),
        brokerCpuUsPerRequest: cpu.length ? median(cpu) : undefined,
      });
    }
  }
  const { onProgress: _, ...reported } = options;
  return { machine: describeMachine(), options: reported, rows, verdicts: judge(rows) };
}

/** The broker issue's targets, judged on the medians of this run. */
function judge(rows: BenchRow[]): BenchVerdict[] {
  const find = (setup: BenchSetup, inFlight: number) => rows.find((row) => row.setup === setup && row.inFlight === inFlight && row.runs.length > 0);
  const verdicts: BenchVerdict[] = [];
  const rsb256 = find(BENCH_SETUP.RSB, 256);
  if (rsb256) {
    verdicts.push({ target: 'rsb ≥ 400,000 req/s at 256 in flight', measured: `${formatRate(rsb256.requestsPerSecond)} req/s`, isMet: rsb256.requestsPerSecond >= 400_000 });
    verdicts.push({ target: 'rsb p99 ≤ 2 ms at 256 in flight', measured: `${(rsb256.p99Us / 1000).toFixed(2)} ms`, isMet: rsb256.p99Us <= 2_000 });
    const reference256 = find(BENCH_SETUP.REFERENCE, 256);
    if (reference256) {
      const ratio = rsb256.requestsPerSecond / reference256.requestsPerSecond;
      verdicts.push({ target: 'rsb ≥ 8× the rsocket-js reference broker at 256 in flight', measured: `${ratio.toFixed(1)}×`, isMet: ratio >= 8 });
    }
    const managed256 = find(BENCH_SETUP.RSB_MANAGED, 256);
    if (managed256) {
      const share = managed256.requestsPerSecond / rsb256.requestsPerSecond;
      verdicts.push({
        target: `rsb-managed (limits, breakers, timeouts, metrics) ≥ ${MANAGED_SHARE_TARGET * 100}% of rsb at 256 in flight`,
        measured: `${formatRate(managed256.requestsPerSecond)} vs ${formatRate(rsb256.requestsPerSecond)} req/s = ${(share * 100).toFixed(1)}%`,
        isMet: share >= MANAGED_SHARE_TARGET,
      });
    }
  }
  const mock256 = find(BENCH_SETUP.MOCK, 256);
  if (mock256) {
    verdicts.push({
      target: 'one rsb mock process ≥ 300,000 req/s through the broker at 256 in flight',
      measured: `${formatRate(mock256.requestsPerSecond)} req/s`,
      isMet: mock256.requestsPerSecond >= 300_000,
    });
  }
  const rsb1 = find(BENCH_SETUP.RSB, 1);
  const direct1 = find(BENCH_SETUP.DIRECT, 1);
  if (rsb1 && direct1) {
    const ratio = rsb1.p50Us / direct1.p50Us;
    verdicts.push({
      target: 'rsb p50 at 1 in flight ≤ 2.5× direct p50',
      measured: `${rsb1.p50Us} µs vs ${direct1.p50Us} µs = ${ratio.toFixed(2)}×`,
      isMet: ratio <= 2.5,
    });
  }
  return verdicts;
}

function formatRate(value: number): string {
  return Math.round(value).toLocaleString('en-US');
}

export function median(values: number[]): number {
  if (values.length === 0) return NaN;
  const sorted = [...values].sort((a, b) => a - b);
  const middle = sorted.length >> 1;
  return sorted.length % 2 ? sorted[middle]! : (sorted[middle - 1]! + sorted[middle]!) / 2;
}

function describeMachine(): BenchReport['machine'] {
  return {
    cpus: os.cpus().length,
    cpuModel: os.cpus()[0]?.model ?? 'unknown',
    memoryGiB: Math.round(os.totalmem() / 2 ** 30),
    node: process.version,
    platform: `${os.platform()} ${os.release()}`,
  };
}

interface Topology {
  port: number;
  broker: BenchChild | undefined;
  stop(): void;
}

async function startTopology(setup: BenchSetup): Promise<Topology> {
  const children: { kill(): void }[] = [];
  const start = async (role: BenchRole): Promise<BenchChild> => {
    const child = new BenchChild(role);
    children.push(child);
    await child.ready;
    return child;
  };
  let scraper: NodeJS.Timeout | undefined;
  const stop = (): void => {
    clearInterval(scraper);
    children.forEach((child) => child.kill());
  };
  try {
    if (setup === BENCH_SETUP.DIRECT) {
      const server = await start({ role: 'echo-server' });
      return { port: server.port, broker: undefined, stop };
    }
    if (setup === BENCH_SETUP.MOCK) {
      const broker = await start({ role: 'broker' });
      const mock = new MockProcess(SERVICE, broker.port);
      children.push(mock);
      await mock.ready;
      return { port: broker.port, broker, stop };
    }
    const isReference = setup === BENCH_SETUP.REFERENCE;
    const isManaged = setup === BENCH_SETUP.RSB_MANAGED;
    const broker = await start(isReference ? { role: 'reference-broker' } : { role: 'broker', isManaged });
    if (isManaged) {
      // A scrape as Prometheus does it, over HTTP, so that collecting the metrics is paid in the figures.
      scraper = setInterval(() => {
        fetch(`http://127.0.0.1:${broker.adminPort}/metrics`)
          .then((response) => response.text())
          .catch(() => {});
      }, SCRAPE_INTERVAL_MS);
    }
    await start({ role: 'echo-service', port: broker.port, settleMs: isReference ? RSOCKET_JS_SETTLE_MS : 0 });
    return { port: broker.port, broker, stop };
  } catch (error) {
    stop();
    throw error;
  }
}

async function measureInChild(port: number, inFlight: number, settleMs: number, options: BenchOptions): Promise<ClosedLoopResult> {
  const requester = new BenchChild({
    role: 'requester',
    host: '127.0.0.1',
    port,
    route: ROUTE,
    payloadBytes: options.payloadBytes,
    inFlight,
    warmupMs: options.warmupMs,
    durationMs: options.durationMs,
    settleMs,
  });
  try {
    return await requester.result;
  } finally {
    requester.kill();
  }
}

/** A bench role in its own Node process, and the messages it sends back. */
class BenchChild {
  readonly ready: Promise<void>;
  readonly result: Promise<ClosedLoopResult>;
  port = 0;
  adminPort = 0;
  private readonly process: ChildProcess;
  private cpuWaiter: ((micros: number) => void) | undefined;

  constructor(role: BenchRole) {
    this.process = fork(BENCH_PROCESS, [JSON.stringify(role)], { stdio: ['ignore', 'inherit', 'inherit', 'ipc'] });
    let resolveReady!: () => void;
    let resolveResult!: (result: ClosedLoopResult) => void;
    let reject!: (error: Error) => void;
    this.ready = new Promise((resolve, rejectReady) => {
      resolveReady = resolve;
      reject = rejectReady;
    });
    const readyReject = reject;
    this.result = new Promise((resolve, rejectResult) => {
      resolveResult = resolve;
      reject = (error) => {
        readyReject(error);
        rejectResult(error);
      };
    });
    // Either promise may go unawaited (a requester is never awaited for `ready`).
    this.ready.catch(() => {});
    this.result.catch(() => {});
    this.process.on('message', (message: BenchMessage) => {
      if (message.kind === 'ready') {
        this.port = message.port;
        this.adminPort = message.adminPort ?? 0;
        resolveReady();
      } else if (message.kind === 'result') {
        resolveResult(message.result);
      } else if (message.kind === 'cpu') {
        this.cpuWaiter?.(message.userUs + message.systemUs);
      } else {
        reject(new Error(`bench ${role.role} failed: ${message.message}`));
      }
    });
    this.process.on('exit', (code) => reject(new Error(`bench ${role.role} exited with code ${code}`)));
  }

  cpuMicros(): Promise<number> {
    return new Promise((resolve) => {
      this.cpuWaiter = resolve;
      this.process.send('cpu');
    });
  }

  kill(): void {
    if (this.process.exitCode === null) this.process.kill('SIGKILL');
  }
}
