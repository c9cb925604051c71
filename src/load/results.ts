import type { Percentiles } from './histograms.js';
import type { ProfileKind } from './profile.js';
import type { BreakdownRow, PhaseResult, RunHistograms, TimelineRow } from './run-recorder.js';
import type { OutcomeName } from '../protocol/index.js';
import type { OutcomeCounts } from './outcomes.js';
import type { FaultSpec } from './scenario.js';
import type { ThresholdResult } from './thresholds.js';

export const LOAD_VERDICT = {
  PASSED: 'passed',
  THRESHOLDS_FAILED: 'thresholds-failed',
  /** The generator could not keep its schedule: the figures say nothing of the broker. */
  INVALID_RUN: 'invalid-run',
} as const;
export type LoadVerdict = (typeof LOAD_VERDICT)[keyof typeof LOAD_VERDICT];

/** What a fault did: when it fired, and how long errors lasted after it. */
/** A generator connection to a target lost or restored, on the leg's clock. */
export interface ConnectionEvent {
  atMs: number;
  /** The target's index among the leg's targets. */
  target: number;
  isRestored: boolean;
}

export interface FaultResult {
  target: string;
  action: FaultSpec['action'];
  atMs: number;
  firedAtMs: number | undefined;
  /** When the action had finished (run clock): the process gone, or a restarted one listening (registered, for a mock) again. */
  doneAtMs: number | undefined;
  /** Errors after the fault: from the first to the last of the burst it caused; undefined when none came. */
  errorWindow: { fromMs: number; toMs: number; errors: number } | undefined;
  /** From the fault to its last error (0 when it caused none); undefined when errors never stopped. */
  recoveredAfterMs: number | undefined;
  error?: string;
  /** A partition (doneAtMs is the heal): how it was found, and how the broker came back. */
  partition?: {
    /** From the cut to the first generator connection to the broker found dead (its keepalive lifetime): no request goes there after. */
    lostAfterMs: number | undefined;
    /** Errors after the heal: requests routed there before the mocks had registered again. */
    healErrorWindow: { fromMs: number; toMs: number; errors: number } | undefined;
    /** From the heal until the broker answered its share again: reconnected, and the errors after the heal over. */
    backAfterHealMs: number | undefined;
  };
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
  /** The generators' connections lost and restored, in order: when a broker was found gone, and when it was back. */
  connectionEvents?: ConnectionEvent[];
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
