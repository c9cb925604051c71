import { readProcessMemory } from '../process/index.js';
import type { CaseResult } from './case-result.js';
import {
  DEFAULT_SCENARIO,
  PROFILE_KIND,
  runLoad,
  SILENT_REPORTER,
  type FaultResult,
  type FaultSpec,
  type LegResult,
  type LoadReporter,
  type LoadScenario,
  type TimelineRow,
  type Topology,
  type TopologySpec,
} from '../load/index.js';

export interface FaultLoadOptions {
  /** Requests per second, constant. */
  rate: number;
  durationMs: number;
  /** Generators on this thread (tests running from the TypeScript sources have no compiled worker script). */
  isInThread?: boolean;
  /** The generators' and mocks' keepalive lifetime: how soon a broker cut off is found gone. */
  keepaliveLifetimeMs?: number;
}

export interface FaultLoadRun {
  leg: LegResult;
  faults: FaultResult[];
  /** The leg's one-second rows, with answers and errors per broker. */
  timeline: TimelineRow[];
  /** Requests sent; answered OK; answered with an error; and unanswered: timed out, or never ended. */
  figures: { sent: number; answered: number; errored: number; unanswered: number };
  /** Highest peak resident memory (VmHWM) of any broker process of the run, restarted ones included. */
  peakBrokerRssBytes: number;
  /** The lab of hosts the run's brokers ran on, when it had one. */
  lab: { bridge: string; subnet: string; tag: string } | undefined;
}

/** How often the brokers' peak memory is read; VmHWM only grows, so a sample loses only a killed broker's last moments. */
const MEMORY_SAMPLE_MS = 250;
/** The schedule lag does not judge these runs (the faults do): on a shared machine it only says who else is busy. */
const UNJUDGED_LAG_MS = 60_000;

/** `broker-2` → the second broker: the fault as `rsb load`'s scenario files give it. */
export function describeFault(atMs: number, action: FaultSpec['action'], target: `${'broker' | 'mock'}-${number}`, durationMs?: number): FaultSpec {
  const [kind, number] = target.split('-') as ['broker' | 'mock', string];
  return { atMs, action, kind, index: Number(number) - 1, target, ...(durationMs !== undefined ? { durationMs } : {}) };
}

/**
 * One `rsb load` run with a fault timeline, in this process (its programmatic API, as
 * `rsb load` calls it): a constant rate of svc.echo request-responses through the
 * topology it starts, kills and restarts. The figures come straight from the load
 * results; the brokers' memory from their processes while they run.
 */
export async function runFaultLoad(name: string, topology: TopologySpec, faults: FaultSpec[], options: FaultLoadOptions): Promise<FaultLoadRun> {
  const scenario: LoadScenario = {
    ...structuredClone(DEFAULT_SCENARIO),
    name,
    topology,
    profile: { kind: PROFILE_KIND.CONSTANT, rate: options.rate, durationMs: options.durationMs },
    timeoutMs: 2_000,
    faults,
    maxLagMs: UNJUDGED_LAG_MS,
    warmupMs: 500,
    ...(options.keepaliveLifetimeMs !== undefined ? { keepaliveLifetimeMs: options.keepaliveLifetimeMs } : {}),
  };
  const timeline: TimelineRow[] = [];
  const peaks = new Map<number, number>();
  let watched: Topology | undefined;
  const sampleMemory = (): void => {
    for (const pid of watched?.brokerPids() ?? []) {
      const memory = readProcessMemory(pid);
      if (memory) peaks.set(pid, Math.max(peaks.get(pid) ?? 0, memory.peakRssBytes));
    }
  };
  const sampler = setInterval(sampleMemory, MEMORY_SAMPLE_MS);
  // The leg ends before the topology is torn down: a last sample there.
  const reporter: LoadReporter = { ...SILENT_REPORTER, row: (row) => timeline.push(row), endLeg: sampleMemory };
  try {
    const result = await runLoad({
      scenario,
      isBaseline: false,
      reporter,
      isInThread: options.isInThread ?? false,
      onTopology: (started) => {
        watched = started;
        sampleMemory();
      },
    });
    const leg = result.run;
    const timedOut = leg.outcomes.TIMEOUT ?? 0;
    const { sent, ok, errors } = leg.requests;
    return {
      leg,
      faults: leg.faults,
      timeline,
      figures: { sent, answered: ok, errored: errors - timedOut, unanswered: timedOut + (sent - ok - errors) },
      peakBrokerRssBytes: Math.max(0, ...peaks.values()),
      lab: watched?.lab ? { bridge: watched.lab.bridge, subnet: watched.lab.subnet, tag: watched.lab.tag } : undefined,
    };
  } finally {
    clearInterval(sampler);
  }
}

/** A fault run's figures as a reliability row counts them. */
export function countRunFigures(run: FaultLoadRun): Pick<CaseResult, 'requestsSent' | 'answered' | 'errored' | 'unanswered' | 'peakBrokerRssBytes'> {
  return { requestsSent: run.figures.sent, answered: run.figures.answered, errored: run.figures.errored, unanswered: run.figures.unanswered, peakBrokerRssBytes: run.peakBrokerRssBytes };
}

/** Errors by outcome, `CONNECTION_LOST 12, REJECTED 300`, or `none`. */
export function describeErrors(leg: LegResult): string {
  const errors = Object.entries(leg.outcomes).filter(([outcome]) => outcome !== 'OK');
  return errors.length ? errors.map(([outcome, count]) => `${outcome} ${count!.toLocaleString('en-US')}`).join(', ') : 'none';
}

/** `errors from 3.201 s to 3.205 s (12)`, or `no errors`: a fault's error window for the notes. */
export function describeWindow(fault: FaultResult): string {
  if (!fault.errorWindow) return 'no errors';
  const { fromMs, toMs, errors } = fault.errorWindow;
  return `errors from ${seconds(fromMs)} to ${seconds(toMs)} (${errors.toLocaleString('en-US')})`;
}

export function seconds(ms: number): string {
  return `${(ms / 1000).toFixed(3)} s`;
}

/** Answers of target `index` in the rows that began at or after `fromMs` (rows are about a second long). */
export function countAnswersFrom(timeline: TimelineRow[], fromMs: number, index: number): { ok: number; errors: number; okAll: number; rows: number } {
  const rows = timeline.filter((row) => !row.isDrain && row.atMs - row.seconds * 1000 >= fromMs);
  let ok = 0;
  let errors = 0;
  let okAll = 0;
  for (const row of rows) {
    ok += row.byTarget[index]!.ok;
    errors += row.byTarget[index]!.errors;
    for (const target of row.byTarget) okAll += target.ok;
  }
  return { ok, errors, okAll, rows: rows.length };
}
