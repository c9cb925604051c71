import type { Percentiles } from './histograms.js';
import type { ProfileKind } from './profile.js';
import type { BreakdownRow, PhaseResult, RunHistograms, TimelineRow } from './run-recorder.js';
import type { OutcomeName } from '../protocol/index.js';
import type { OutcomeCounts } from './outcomes.js';
import type { ThresholdResult } from './thresholds.js';

export const LOAD_VERDICT = {
  PASSED: 'passed',
  THRESHOLDS_FAILED: 'thresholds-failed',
  /** The generator could not keep its schedule: the figures say nothing of the broker. */
  INVALID_RUN: 'invalid-run',
} as const;
export type LoadVerdict = (typeof LOAD_VERDICT)[keyof typeof LOAD_VERDICT];

/** What a fault did: when it fired, and how long errors lasted after it. */
export interface FaultResult {
  target: string;
  action: 'kill' | 'restart';
  atMs: number;
  firedAtMs: number | undefined;
  /** When the action had finished (run clock): the process gone, or a restarted one listening (registered, for a mock) again. */
  doneAtMs: number | undefined;
  /** Errors after the fault: from the first to the last of the burst it caused; undefined when none came. */
  errorWindow: { fromMs: number; toMs: number; errors: number } | undefined;
  /** From the fault to its last error (0 when it caused none); undefined when errors never stopped. */
  recoveredAfterMs: number | undefined;
  error?: string;
}

/** One process's CPU time over a leg (this process's from process.cpuUsage, the others' from /proc as the leg started and ended), and per request it handled. */
export interface ProcessCpu {
  /** `rsb load`, broker-N, mock-N. */
  name: string;
  pid: number;
  /** Requests it handled: sent (this process), answered through it (a broker), served (a mock: its service's answers shared evenly among its instances). */
  requests: number;
  /** CPU time over the leg, user and system, all threads; absent when it could not be read at both ends (a fault killed or restarted it). */
  cpuMs?: number;
  /** cpuMs per request, in microseconds; absent as cpuMs, or when it handled none. */
  cpuUsPerRequest?: number;
}

/**
 * CPU per request of the processes of a leg: the figure that sizes a cluster. Brokers and
 * mocks only when rsb started them (the self-started topology) and /proc can be read;
 * brokers only on the leg through them.
 */
export interface LegCpu {
  /** This rsb load process: every generator thread and the reporting. */
  load: ProcessCpu;
  brokers: ProcessCpu[];
  mocks: ProcessCpu[];
}

/** One run of the profile against one set of targets (through the brokers, or straight at the mocks). */
export interface LegResult {
  label: string;
  targets: string[];
  profile: { kind: ProfileKind; durationMs: number; phases: number };
  workers: number;
  connectionsPerTarget: number;
  elapsedMs: number;
  /** Why the leg ended before its schedule did (Ctrl-C, a step that broke), if it did. */
  stoppedEarly?: string;
  requests: { expected: number; sent: number; ok: number; errors: number };
  targetRate: number;
  achievedRate: number;
  achievedPercent: number;
  outcomes: OutcomeCounts;
  /** Microseconds. */
  latency: { corrected: Percentiles | undefined; uncorrected: Percentiles | undefined; scheduleLag: Percentiles | undefined };
  phases: (PhaseResult & { thresholds?: ThresholdResult[] })[];
  routes: BreakdownRow[];
  brokers: BreakdownRow[];
  errorSamples: { outcome: OutcomeName; message: string }[];
  health: { maxTickLateMs: number; eventLoopDelayMaxMs: number; peakRssBytes: number; finalRssBytes: number };
  validity: { isValid: boolean; reasons: string[] };
  /** How requests were paced, when not open loop (HTTP runs: autocannon). */
  pacing?: string;
  faults: FaultResult[];
  /** CPU per request of this process, the brokers and the mocks it started. */
  cpu?: LegCpu;
}

/** The highest step that held, for profiles that step up until something breaks (bench-scenarios/max.yaml). */
export interface MaxResult {
  highestRate: number | undefined;
  highestStep: string | undefined;
  /** What ended the climb: a threshold, the generator's own schedule, or nothing (every step held). */
  limitedBy: 'thresholds' | 'generator' | 'none';
  brokenStep?: { name: string; rate: number; reasons: string[] };
}

/** `rsb load`'s result: its `--json`. */
export interface LoadResult {
  scenario: string;
  description?: string;
  verdict: LoadVerdict;
  exitCode: number;
  thresholds: ThresholdResult[];
  run: LegResult;
  baseline?: LegResult;
  /** Through the broker minus straight at the mock, µs: what the broker adds. */
  overhead?: { p50: number; p90: number; p99: number; p999: number; max: number };
  max?: MaxResult;
  files: { out?: string; report?: string };
}

/** `--out`: the result, each leg with its timeline and full histograms. */
export interface LoadResultFile extends LoadResult {
  detail: { label: string; timeline: TimelineRow[]; histograms: RunHistograms }[];
}
