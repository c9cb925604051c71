import { mkdtemp, readFile, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { RSB_BIN } from '../cli/paths.js';
import { createDevelopmentCertificates } from '../cluster/index.js';
import { DEFAULT_PACING_MS } from '../load/index.js';
import { TRANSPORT, type TransportEndpoint } from '../protocol/index.js';
import { findExecutable, findFreePort, launchProcess, launchProgram, LIFETIME, readProcessCpuMicros, type LaunchedProcess, type MockReady } from '../process/index.js';
import type { BenchRole, RateRequesterReport, RequesterReport, ServerReady } from './bench-process.js';
import { WIRE_PROTOCOL, type ClosedLoopResult, type WireProtocol } from './closed-loop.js';
import type { OpenLoopResult } from './open-loop.js';

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
  /** `rsb` with requester and service on TLS (tcps) */
  RSB_TLS: 'rsb-tls',
  /** `rsb` with requester and service on WebSocket (ws) */
  RSB_WS: 'rsb-ws',
  /** NATS endpoints as lean as rsb's (pipelined PUB with a reply subject, one SUB) → nats-server → NATS echo subscriber */
  NATS: 'nats',
} as const;
export type BenchSetup = (typeof BENCH_SETUP)[keyof typeof BENCH_SETUP];

export interface BenchOptions {
  setups: BenchSetup[];
  inFlight: number[];
  runs: number;
  warmupMs: number;
  durationMs: number;
  payloadBytes: number;
  /** Requests/s: measure open loop at this rate (rsb load's generator) instead of closed loop at each in-flight level. */
  rate?: number;
  /** With `rate`: the generator's pacing window, ms (rsb load's default when absent). */
  pacingMs?: number;
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

/** A set-up at a fixed rate (`--rate`): medians over the runs. */
export interface BenchRateRow {
  setup: BenchSetup;
  rate: number;
  runs: OpenLoopResult[];
  achievedRate: number;
  p50Us: number;
  p99Us: number;
  p999Us: number;
  lagP99Us: number;
  errors: number;
  /** CPU time per request, µs: the broker's process (absent without a broker) and the generator's. */
  brokerCpuUsPerRequest: number | undefined;
  generatorCpuUsPerRequest: number;
}

export interface BenchVerdict {
  target: string;
  measured: string;
  isMet: boolean;
}

export interface BenchReport {
  machine: { cpus: number; cpuModel: string; memoryGiB: number; node: string; platform: string };
  options: Omit<BenchOptions, 'onProgress'>;
  /** Closed loop, per set-up and in-flight level (empty with `--rate`). */
  rows: BenchRow[];
  /** Open loop at `--rate`, per set-up (empty without it). */
  rateRows: BenchRateRow[];
  verdicts: BenchVerdict[];
  /** Set-ups asked for that could not run here, and why (nats-server not installed). */
  leftOut: { setup: BenchSetup; reason: string }[];
}

const SERVICE = 'bench';
const ROUTE = `${SERVICE}.echo`;
/** How often the managed set-up's metrics are scraped: far more often than Prometheus would, to price it high. */
const SCRAPE_INTERVAL_MS = 1_000;
/** The managed broker must keep at least this share of the bare broker's throughput (the performance issue's target; the management issue asked 85 %). */
const MANAGED_SHARE_TARGET = 0.95;
/** rsb must keep at least this share of a direct connection's throughput at 256 in flight. */
const DIRECT_SHARE_TARGET = 0.75;
/** rsb must forward at least this many times what nats-server does with endpoints as lean. */
const NATS_RATIO_TARGET = 4;
const NATS_SERVER = 'nats-server';
/** At a fixed rate: the broker's and the generator's CPU per request (the performance issue's targets at 62,000/s). */
const RATE_BROKER_CPU_TARGET_US = 4;
const RATE_GENERATOR_CPU_TARGET_US = 3;
/** rsb load's own rule for a valid run: schedule lag p99 within its default --max-lag. */
const VALID_SCHEDULE_LAG_US = 10_000;
const HOST = '127.0.0.1';
/** The transports issue's targets: a share of plain TCP through the broker, at 256 in flight. */
const TRANSPORT_SHARE_TARGETS: { setup: BenchSetup; share: number }[] = [
  { setup: 'rsb-tls', share: 0.5 },
  { setup: 'rsb-ws', share: 0.6 },
];
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
  const { setups, leftOut } = findRunnableSetups(options.setups);
  for (const { reason } of leftOut) progress(reason);
  const { onProgress: _, ...reported } = options;
  if (options.rate !== undefined) {
    const rateRows = await measureAtRate(setups, options.rate, options, progress);
    return { machine: describeMachine(), options: reported, rows: [], rateRows, verdicts: judgeRate(rateRows), leftOut };
  }
  const samples = new Map<string, { result: ClosedLoopResult; brokerCpuUs: number | undefined }[]>();
  for (let run = 1; run <= options.runs; run++) {
    for (const setup of setups) {
      const topology = await startTopology(setup);
      try {
        for (const inFlight of options.inFlight) {
          const cpuBefore = readBrokerCpuMicros(topology);
          const result = await measureInChild(topology.requesterEndpoint ?? { host: HOST, port: topology.port }, topology.protocol, inFlight, setup === BENCH_SETUP.REFERENCE ? RSOCKET_JS_SETTLE_MS : 0, options);
          const cpuAfter = readBrokerCpuMicros(topology);
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
        await topology.stop();
      }
    }
  }
  const rows: BenchRow[] = [];
  for (const setup of setups) {
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
  return { machine: describeMachine(), options: reported, rows, rateRows: [], verdicts: judge(rows), leftOut };
}

/** Each set-up at `rate` requests/s, `runs` times interleaved: the generator's figures, and its and the broker's CPU per request. */
async function measureAtRate(setups: BenchSetup[], rate: number, options: BenchOptions, progress: (line: string) => void): Promise<BenchRateRow[]> {
  const samples = new Map<BenchSetup, OpenLoopResult[]>();
  for (let run = 1; run <= options.runs; run++) {
    for (const setup of setups) {
      const topology = await startTopology(setup);
      try {
        const result = await measureRateInChild(topology, rate, options);
        samples.set(setup, [...(samples.get(setup) ?? []), result]);
        progress(
          `run ${run}/${options.runs}  ${setup.padEnd(9)} at ${formatRate(rate)}/s: achieved ${formatRate(result.achievedRate)}/s, p99 ${result.p99Us} µs, ` +
            `broker ${result.brokerCpuUsPerRequest?.toFixed(2) ?? '—'} µs/request, generator ${result.generatorCpuUsPerRequest.toFixed(2)} µs/request`,
        );
      } finally {
        await topology.stop();
      }
    }
  }
  return setups.map((setup) => {
    const runs = samples.get(setup) ?? [];
    const brokerCpu = runs.map((result) => result.brokerCpuUsPerRequest).filter((value): value is number => value !== undefined);
    return {
      setup,
      rate,
      runs,
      achievedRate: median(runs.map((result) => result.achievedRate)),
      p50Us: median(runs.map((result) => result.p50Us)),
      p99Us: median(runs.map((result) => result.p99Us)),
      p999Us: median(runs.map((result) => result.p999Us)),
      lagP99Us: median(runs.map((result) => result.lagP99Us)),
      errors: runs.reduce((sum, result) => sum + result.errors, 0),
      brokerCpuUsPerRequest: brokerCpu.length ? median(brokerCpu) : undefined,
      generatorCpuUsPerRequest: median(runs.map((result) => result.generatorCpuUsPerRequest)),
    };
  });
}

/** The performance issue's targets at a fixed rate, judged on the medians of this run. */
function judgeRate(rows: BenchRateRow[]): BenchVerdict[] {
  const verdicts: BenchVerdict[] = [];
  const rsb = rows.find((row) => row.setup === BENCH_SETUP.RSB && row.runs.length > 0);
  if (!rsb) return verdicts;
  const at = `at ${formatRate(rsb.rate)}/s`;
  const brokerCpu = rsb.brokerCpuUsPerRequest ?? Infinity;
  verdicts.push({ target: `rsb broker CPU ≤ ${RATE_BROKER_CPU_TARGET_US} µs/request ${at}`, measured: `${brokerCpu.toFixed(2)} µs`, isMet: brokerCpu <= RATE_BROKER_CPU_TARGET_US });
  const nats = rows.find((row) => row.setup === BENCH_SETUP.NATS && row.runs.length > 0);
  if (nats?.brokerCpuUsPerRequest !== undefined) {
    verdicts.push({
      target: `rsb broker CPU per request below nats-server's ${at}`,
      measured: `${brokerCpu.toFixed(2)} µs vs ${nats.brokerCpuUsPerRequest.toFixed(2)} µs`,
      isMet: brokerCpu < nats.brokerCpuUsPerRequest,
    });
  }
  verdicts.push({
    target: `generator CPU ≤ ${RATE_GENERATOR_CPU_TARGET_US} µs/request ${at}`,
    measured: `${rsb.generatorCpuUsPerRequest.toFixed(2)} µs`,
    isMet: rsb.generatorCpuUsPerRequest <= RATE_GENERATOR_CPU_TARGET_US,
  });
  verdicts.push({
    target: `one generator worker keeps its schedule ${at} (schedule lag p99 ≤ ${VALID_SCHEDULE_LAG_US / 1000} ms, ≥ 99% answered)`,
    measured: `lag p99 ${(rsb.lagP99Us / 1000).toFixed(2)} ms, ${((rsb.achievedRate / rsb.rate) * 100).toFixed(1)}% answered`,
    isMet: rsb.lagP99Us <= VALID_SCHEDULE_LAG_US && rsb.achievedRate >= rsb.rate * 0.99,
  });
  return verdicts;
}

/** The set-ups that can run on this machine: nats needs nats-server on PATH, and is left out (said in one line) without it. */
function findRunnableSetups(asked: BenchSetup[]): { setups: BenchSetup[]; leftOut: BenchReport['leftOut'] } {
  if (!asked.includes(BENCH_SETUP.NATS) || findExecutable(NATS_SERVER) !== undefined) return { setups: asked, leftOut: [] };
  return {
    setups: asked.filter((setup) => setup !== BENCH_SETUP.NATS),
    leftOut: [{ setup: BENCH_SETUP.NATS, reason: `${NATS_SERVER} is not installed (Debian: apt-get install nats-server): the nats set-up is left out` }],
  };
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
    const direct256 = find(BENCH_SETUP.DIRECT, 256);
    if (direct256) {
      const share = rsb256.requestsPerSecond / direct256.requestsPerSecond;
      verdicts.push({ target: `rsb ≥ ${DIRECT_SHARE_TARGET}× direct at 256 in flight`, measured: `${share.toFixed(2)}×`, isMet: share >= DIRECT_SHARE_TARGET });
    }
    const nats256 = find(BENCH_SETUP.NATS, 256);
    if (nats256) {
      const ratio = rsb256.requestsPerSecond / nats256.requestsPerSecond;
      verdicts.push({ target: `rsb ≥ ${NATS_RATIO_TARGET}× nats-server at 256 in flight`, measured: `${ratio.toFixed(1)}×`, isMet: ratio >= NATS_RATIO_TARGET });
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
  for (const { setup, share } of TRANSPORT_SHARE_TARGETS) {
    const row = find(setup, 256);
    if (!row || !rsb256) continue;
    const measured = row.requestsPerSecond / rsb256.requestsPerSecond;
    verdicts.push({
      target: `${setup} ≥ ${share * 100}% of rsb (plain TCP) at 256 in flight`,
      measured: `${formatRate(row.requestsPerSecond)} vs ${formatRate(rsb256.requestsPerSecond)} req/s = ${(measured * 100).toFixed(1)}%`,
      isMet: measured >= share,
    });
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
  protocol: WireProtocol;
  /** Where the requester connects when not to `port` on TCP (rsb-tls, rsb-ws), with the CA it trusts. */
  requesterEndpoint?: RequesterEndpoint;
  /** The broker's process, whose CPU time prices a request; absent without a broker. */
  brokerPid: number | undefined;
  stop(): Promise<void>;
}

/** Time a role gets to listen (or register); the requester gets its measuring time on top. */
const READY_TIMEOUT_MS = 20_000;

function readBrokerCpuMicros(topology: Topology): number | undefined {
  return topology.brokerPid === undefined ? undefined : readProcessCpuMicros(topology.brokerPid);
}

/**
 * A bench role in its own Node process, in this process's group (a Ctrl-C ends it too),
 * following this process out however it ends; ready once it reports so.
 */
function startRole<Ready extends object>(role: BenchRole, readyTimeoutMs = READY_TIMEOUT_MS): Promise<LaunchedProcess<Ready>> {
  return launchProcess<Ready>({ name: `bench ${role.role}`, script: BENCH_PROCESS, args: [JSON.stringify(role)], lifetime: LIFETIME.SAME_GROUP, readyTimeoutMs });
}

async function startTopology(setup: BenchSetup): Promise<Topology> {
  const children: LaunchedProcess<object>[] = [];
  const start = async (role: BenchRole): Promise<LaunchedProcess<ServerReady>> => {
    const child = await startRole<ServerReady>(role);
    children.push(child);
    return child;
  };
  let scraper: NodeJS.Timeout | undefined;
  const stop = async (): Promise<void> => {
    clearInterval(scraper);
    await Promise.all(children.map((child) => child.kill()));
  };
  try {
    if (setup === BENCH_SETUP.DIRECT) {
      const server = await start({ role: 'echo-server' });
      return { port: server.ready.port, protocol: WIRE_PROTOCOL.RSOCKET, brokerPid: undefined, stop };
    }
    if (setup === BENCH_SETUP.NATS) {
      const port = await findFreePort(HOST);
      const server = await launchProgram({ name: NATS_SERVER, executable: findExecutable(NATS_SERVER) ?? NATS_SERVER, args: ['-a', HOST, '-p', String(port)], host: HOST, port, readyTimeoutMs: READY_TIMEOUT_MS });
      children.push(server);
      await start({ role: 'nats-echo-service', port });
      return { port, protocol: WIRE_PROTOCOL.NATS, brokerPid: server.pid, stop };
    }
    if (setup === BENCH_SETUP.MOCK) {
      const broker = await start({ role: 'broker' });
      // `rsb mock` as a user (or a load run's topology) starts it.
      const mock = await launchProcess<MockReady>({
        name: 'rsb mock',
        script: RSB_BIN,
        args: ['mock', SERVICE, '--methods', 'echo', '--broker', `${HOST}:${broker.ready.port}`],
        lifetime: LIFETIME.SAME_GROUP,
        readyTimeoutMs: READY_TIMEOUT_MS,
      });
      children.push(mock);
      return { port: broker.ready.port, protocol: WIRE_PROTOCOL.RSOCKET, brokerPid: broker.pid, stop };
    }
    if (setup === BENCH_SETUP.RSB_TLS || setup === BENCH_SETUP.RSB_WS) {
      const on = setup === BENCH_SETUP.RSB_TLS ? { transport: TRANSPORT.TCPS, tls: await readBenchCertificates() } : { transport: TRANSPORT.WS };
      const broker = await start({ role: 'broker', on });
      const endpoint = broker.ready.endpoint!;
      const tlsCa = on.tls?.ca;
      await start({ role: 'echo-service', port: broker.ready.port, settleMs: 0, endpoint, ...(tlsCa ? { tlsCa } : {}) });
      return { port: broker.ready.port, protocol: WIRE_PROTOCOL.RSOCKET, requesterEndpoint: { ...endpoint, ...(tlsCa ? { tlsCa } : {}) }, brokerPid: broker.pid, stop };
    }
    const isReference = setup === BENCH_SETUP.REFERENCE;
    const isManaged = setup === BENCH_SETUP.RSB_MANAGED;
    const broker = await start(isReference ? { role: 'reference-broker' } : { role: 'broker', isManaged });
    if (isManaged) {
      // A scrape as Prometheus does it, over HTTP, so that collecting the metrics is paid in the figures.
      scraper = setInterval(() => {
        fetch(`http://${HOST}:${broker.ready.adminPort}/metrics`)
          .then((response) => response.text())
          .catch(() => {});
      }, SCRAPE_INTERVAL_MS);
    }
    await start({ role: 'echo-service', port: broker.ready.port, settleMs: isReference ? RSOCKET_JS_SETTLE_MS : 0 });
    return { port: broker.ready.port, protocol: WIRE_PROTOCOL.RSOCKET, brokerPid: broker.pid, stop };
  } catch (error) {
    await stop();
    throw error;
  }
}

/** The rate requester measures in a process of its own, reading the broker's CPU time itself around its measured run. */
async function measureRateInChild(topology: Topology, rate: number, options: BenchOptions): Promise<OpenLoopResult> {
  const requester = await startRole<RateRequesterReport>(
    {
      role: 'rate-requester',
      host: HOST,
      port: topology.port,
      protocol: topology.protocol,
      route: ROUTE,
      payloadBytes: options.payloadBytes,
      rate,
      pacingMs: options.pacingMs ?? DEFAULT_PACING_MS,
      warmupMs: options.warmupMs,
      durationMs: options.durationMs,
      ...(topology.brokerPid !== undefined ? { brokerPid: topology.brokerPid } : {}),
    },
    READY_TIMEOUT_MS + options.warmupMs + options.durationMs,
  );
  await requester.kill();
  return requester.ready.result;
}

type RequesterEndpoint = TransportEndpoint & { tlsCa?: string };

/** A throw-away CA and broker certificate for rsb-tls, made once per bench run (openssl), as PEM text. */
let benchCertificates: Promise<{ cert: string; key: string; ca: string }> | undefined;
function readBenchCertificates(): Promise<{ cert: string; key: string; ca: string }> {
  benchCertificates ??= (async () => {
    const dir = await mkdtemp(path.join(os.tmpdir(), 'rsb-bench-tls-'));
    try {
      const files = await createDevelopmentCertificates(dir, { name: 'bench' });
      const [cert, key, ca] = await Promise.all([files.brokerCert, files.brokerKey, files.ca].map((file) => readFile(file, 'utf8')));
      return { cert: cert!, key: key!, ca: ca! };
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  })();
  return benchCertificates;
}

/** The requester measures in a process of its own, and reports its result as its ready message: its work is done by then. */
async function measureInChild(endpoint: RequesterEndpoint, protocol: WireProtocol, inFlight: number, settleMs: number, options: BenchOptions): Promise<ClosedLoopResult> {
  const measuringMs = settleMs + options.warmupMs + options.durationMs;
  const requester = await startRole<RequesterReport>(
    {
      role: 'requester',
      ...endpoint,
      protocol,
      route: ROUTE,
      payloadBytes: options.payloadBytes,
      inFlight,
      warmupMs: options.warmupMs,
      durationMs: options.durationMs,
      settleMs,
    },
    READY_TIMEOUT_MS + measuringMs,
  );
  await requester.kill();
  return requester.ready.result;
}
