import type { LatencySpectrum, Percentiles } from './histograms.js';
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
  /** SIGINT or SIGTERM ended the run before its end: never a pass, whatever the thresholds say. */
  INTERRUPTED: 'interrupted',
} as const;
export type LoadVerdict = (typeof LOAD_VERDICT)[keyof typeof LOAD_VERDICT];

/** Where a run was when something stopped it. */
export const RUN_MOMENT = {
  /** Starting the topology: nothing sent. */
  STARTING: 'starting',
  /** Connecting and warming up: nothing measured. */
  WARM_UP: 'warm-up',
  /** Sending the schedule. */
  RUN: 'run',
  /** The schedule sent; waiting for the answers still in flight. */
  DRAINING: 'draining',
} as const;
export type RunMoment = (typeof RUN_MOMENT)[keyof typeof RUN_MOMENT];

/** Why a leg ended before its schedule did. */
export const STOP_CAUSE = {
  /** SIGINT or SIGTERM. */
  INTERRUPTED: 'interrupted',
  /** An abort-on-fail threshold failed. */
  ABORTED: 'aborted',
  /** A step of a stop-at-failure profile broke (the max scenario). */
  STEP_BROKE: 'step-broke',
} as const;
export type StopCause = (typeof STOP_CAUSE)[keyof typeof STOP_CAUSE];

export interface EarlyStop {
  cause: StopCause;
  during: RunMoment;
  /** Measured time at which sending stopped, ms of the schedule: 0 before the measured run began, its length while draining. */
  atMs: number;
  /** SIGINT or SIGTERM, for an interruption. */
  signal?: string;
  /** Why, as one sentence. */
  reason: string;
  /** For an abort: the thresholds that failed on the figures so far, as they were then. */
  thresholds?: ThresholdResult[];
}

/** What the warm-up sent before the measured run, and how it ended: not measured, but the brokers counted it. */
export interface WarmupResult {
  durationMs: number;
  sent: number;
  ok: number;
  errors: number;
  outcomes: OutcomeCounts;
}

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
  /** Wall time of the measured run, its drain included. */
  elapsedMs: number;
  /** Measured time the schedule ran: its length, or up to where it was stopped; rates are over this time. */
  ranForMs: number;
  /** Why the leg ended before its schedule did (a signal, an abort-on-fail threshold, a step that broke), if it did. */
  stop?: EarlyStop;
  /** Expected: what the schedule called for in the time it ran. */
  requests: { expected: number; sent: number; ok: number; errors: number };
  warmup: WarmupResult;
  targetPerSecond: number;
  achievedPerSecond: number;
  /** ok / expected. */
  achievedPercent: number;
  outcomes: OutcomeCounts;
  latency: { corrected: Percentiles | undefined; uncorrected: Percentiles | undefined; scheduleLag: Percentiles | undefined };
  /** `--latency`: the corrected latency's full percentile spectrum. */
  latencySpectrum?: LatencySpectrum;
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
}

/** The highest step that held, for profiles that step up until something breaks (bench-scenarios/max.yaml). */
export interface MaxResult {
  /** Requests per second of the highest step that held. */
  highestRate: number | undefined;
  highestStep: string | undefined;
  /** What ended the climb: a threshold, the generator's own schedule, or nothing (every step held). */
  limitedBy: 'thresholds' | 'generator' | 'none';
  /** `rate`: requests per second of the step. */
  brokenStep?: { name: string; rate: number; reasons: string[] };
}

/** Where and how a run was made: enough to compare two runs, or to make it again. */
export interface RunMetadata {
  /** ISO 8601, UTC. */
  startedAt: string;
  rsbVersion: string;
  /** The command line as given (`rsb load --qps 1000 ...`). */
  command: string;
  /** The scenario file, when one was given. */
  scenarioFile?: string;
  host: { hostname: string; platform: string; arch: string; cpus: number; cpuModel: string; memoryBytes: number; node: string };
}

/** `rsb load`'s result: its `--json` (docs/schemas/load-result.schema.json). */
export interface LoadResult {
  scenario: string;
  description?: string;
  meta: RunMetadata;
  verdict: LoadVerdict;
  exitCode: number;
  thresholds: ThresholdResult[];
  run: LegResult;
  baseline?: LegResult;
  /** Through the broker minus straight at the mock: what the broker adds. */
  overhead?: { p50Us: number; p90Us: number; p99Us: number; p999Us: number; maxUs: number };
  max?: MaxResult;
  files: { out?: string; report?: string; hdrLog?: string };
}

/** `--out`: the result, each leg with its timeline and full histograms. */
export interface LoadResultFile extends LoadResult {
  detail: { label: string; timeline: TimelineRow[]; histograms: RunHistograms }[];
}
