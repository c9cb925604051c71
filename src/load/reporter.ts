import type { LoadTarget } from './connection-pool.js';
import { formatConnectionEvent } from './format.js';
import type { Schedule } from './profile.js';
import type { LegResult, LoadResult, WarmupResult } from './results.js';
import type { PhaseResult, TimelineRow } from './run-recorder.js';
import type { ThresholdResult } from './thresholds.js';

export interface LegInfo {
  label: string;
  scenario: string;
  schedule: Schedule;
  targets: readonly LoadTarget[];
  workers: number;
  connectionsPerTarget: number;
  legIndex: number;
  legCount: number;
  /** How requests are paced when not open loop (HTTP runs: autocannon); there is no schedule lag then. */
  pacing?: string;
  /** Schedule lag p99 above which the run is invalid, ms. */
  maxLagMs: number;
}

/**
 * Where a run's progress goes: plain lines (pipes, CI), the Ink dashboard (a terminal),
 * or nowhere (`--json`). Measuring never waits on reporting: rows come about once a second.
 */
export interface LoadReporter {
  startLeg(info: LegInfo): void;
  /** Connecting and warming up (unmeasured) for about `durationMs`. */
  warmingUp(durationMs: number): void;
  /** The measured run starts at `startAtEpochMs` (performance.timeOrigin + performance.now()); the warm-up sent this. */
  measuring(startAtEpochMs: number, warmup: WarmupResult): void;
  row(row: TimelineRow): void;
  /** A phase ended; with its threshold verdicts when each phase is judged on its own (steps up to the limit). */
  phaseDone(phase: PhaseResult, thresholds?: ThresholdResult[]): void;
  /** Something happened: topology started, a fault fired, a connection was lost or restored. */
  event(text: string): void;
  /** A generator lost, or got back, a connection to target `target` (index into the leg's targets). */
  connection(target: number, isUp: boolean, message: string): void;
  endLeg(leg: LegResult): void;
  finish(result: LoadResult): Promise<void> | void;
}

export const SILENT_REPORTER: LoadReporter = {
  startLeg() {},
  warmingUp() {},
  measuring() {},
  row() {},
  phaseDone() {},
  event() {},
  connection() {},
  endLeg() {},
  finish() {},
};

/**
 * Only the events — the topology started, faults, connections lost, a stop, the metrics
 * URL — as lines: for `--json`, where stdout holds the result and these go to stderr.
 */
export function createEventReporter(print: (line: string) => void): LoadReporter {
  let targets: readonly LoadTarget[] = [];
  return {
    ...SILENT_REPORTER,
    startLeg: (info) => (targets = info.targets),
    event: print,
    connection: (target, isUp, message) => print(formatConnectionEvent(targets[target]?.name ?? `target ${target + 1}`, isUp, message)),
  };
}
