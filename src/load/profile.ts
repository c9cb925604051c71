/**
 * Load profiles: how many requests per second, and when. A profile compiles to a
 * `Schedule` of phases, each with a rate that is constant or changes linearly, so that
 * the intended send time of the k-th request has a closed form. The generator asks for
 * those times in order; nothing here allocates per request.
 */

import { formatCount } from '../cli/format.js';

export const PROFILE_KIND = {
  CONSTANT: 'constant',
  RAMP: 'ramp',
  STEPS: 'steps',
  DAILY: 'daily',
} as const;
export type ProfileKind = (typeof PROFILE_KIND)[keyof typeof PROFILE_KIND];

export type ProfileSpec =
  | { kind: typeof PROFILE_KIND.CONSTANT; rate: number; durationMs: number }
  | { kind: typeof PROFILE_KIND.RAMP; from: number; to: number; durationMs: number }
  | { kind: typeof PROFILE_KIND.STEPS; steps: { rate: number; durationMs: number }[]; isStoppedAtFailure?: boolean }
  | DailyProfileSpec;

/** A day of traffic replayed time-compressed: the peak hour runs at `peak`, and the day's `total` is delivered. */
export interface DailyProfileSpec {
  kind: typeof PROFILE_KIND.DAILY;
  /** Requests in the whole day (before `scale`). */
  total: number;
  /** Requests per second in the busiest hour. */
  peak: number;
  /** 24 relative weights, hour 00 to hour 23. */
  weights: number[];
  /** Shrinks the day's total (and so its length), keeping its shape and its peak rate. */
  scale: number;
}

/**
 * A FaaS platform's day, hour by hour (UTC): quiet nights, a morning climb, the peak in
 * the early afternoon and a smaller evening bump. Relative weights; only their shape counts.
 */
export const DEFAULT_DAILY_WEIGHTS: readonly number[] = [
  1.6, 1.2, 1.0, 0.9, 0.9, 1.1, 1.7, 2.8, 4.2, 5.3, 5.9, 6.3, 6.6, 6.9, 6.7, 6.2, 5.8, 5.4, 5.2, 5.0, 4.4, 3.6, 2.8, 2.1,
];

export interface Phase {
  readonly index: number;
  readonly name: string;
  readonly startMs: number;
  readonly endMs: number;
  readonly fromRate: number;
  readonly toRate: number;
  /** Requests intended in this phase (whole requests: the phases add up to the schedule's total). */
  readonly expected: number;
}

/** A compiled profile: phases, the total, and the intended time of every request. */
export class Schedule {
  readonly phases: readonly Phase[];
  readonly durationMs: number;
  /** Requests the whole schedule sends. */
  readonly totalRequests: number;
  /** Real-valued requests intended before each phase starts (length phases + 1). */
  private readonly cumulative: Float64Array;
  /** Index of the first request of each phase (length phases + 1; the last is the total). */
  private readonly firstRequest: Float64Array;

  constructor(
    segments: readonly { name: string; durationMs: number; fromRate: number; toRate: number }[],
    readonly kind: ProfileKind,
    /** steps: stop the run at the first step whose thresholds fail (the `max` scenario). */
    readonly isStoppedAtFailure = false,
  ) {
    this.cumulative = new Float64Array(segments.length + 1);
    this.firstRequest = new Float64Array(segments.length + 1);
    const phases: Phase[] = [];
    let startMs = 0;
    for (let i = 0; i < segments.length; i++) {
      const segment = segments[i]!;
      const count = ((segment.fromRate + segment.toRate) / 2) * (segment.durationMs / 1000);
      this.cumulative[i + 1] = this.cumulative[i]! + count;
      this.firstRequest[i + 1] = ceilCount(this.cumulative[i + 1]!);
      phases.push({
        index: i,
        name: segment.name,
        startMs,
        endMs: startMs + segment.durationMs,
        fromRate: segment.fromRate,
        toRate: segment.toRate,
        expected: this.firstRequest[i + 1]! - this.firstRequest[i]!,
      });
      startMs += segment.durationMs;
    }
    this.phases = phases;
    this.durationMs = startMs;
    this.totalRequests = this.firstRequest[segments.length]!;
  }

  /** The intended rate at `tMs` after the start, requests per second. */
  rateAt(tMs: number): number {
    const phase = this.phaseAt(tMs);
    if (phase === undefined) return 0;
    const length = phase.endMs - phase.startMs;
    return length === 0 ? phase.fromRate : phase.fromRate + ((phase.toRate - phase.fromRate) * (tMs - phase.startMs)) / length;
  }

  phaseAt(tMs: number): Phase | undefined {
    if (tMs < 0 || tMs >= this.durationMs) return undefined;
    for (const phase of this.phases) if (tMs < phase.endMs) return phase;
    return undefined;
  }

  /** Requests intended before `tMs` (real-valued). */
  expectedBy(tMs: number): number {
    if (tMs <= 0) return 0;
    if (tMs >= this.durationMs) return this.cumulative[this.phases.length]!;
    const phase = this.phaseAt(tMs)!;
    const t = (tMs - phase.startMs) / 1000;
    const slope = (phase.toRate - phase.fromRate) / ((phase.endMs - phase.startMs) / 1000);
    return this.cumulative[phase.index]! + phase.fromRate * t + (slope * t * t) / 2;
  }

  /** Whole requests intended at or before `tMs`: request k is due once k requests were expected. */
  dueBy(tMs: number): number {
    if (tMs < 0) return 0;
    return Math.min(this.totalRequests, Math.floor(this.expectedBy(tMs) + 1e-6) + 1);
  }

  /** Requests intended before each phase starts (real-valued). */
  cumulativeAt(phaseIndex: number): number {
    return this.cumulative[phaseIndex]!;
  }

  /** Index of the first request of a phase; request k belongs to phase i when firstRequestOf(i) ≤ k < firstRequestOf(i + 1). */
  firstRequestOf(phaseIndex: number): number {
    return this.firstRequest[phaseIndex]!;
  }

  cursor(): ScheduleCursor {
    return new ScheduleCursor(this);
  }
}

/**
 * Intended send times of requests 0, 1, 2... in order. Request k leaves when the
 * expected count reaches k: with a rate a + s·t in a phase, a·t + s·t²/2 = k − K₀,
 * solved in the form that is stable for s = 0 and s < 0.
 */
export class ScheduleCursor {
  private phaseIndex = 0;

  constructor(private readonly schedule: Schedule) {}

  /** The phase of the last request asked for. */
  get phase(): number {
    return this.phaseIndex;
  }

  /** Intended time of request `k` in ms from the start; Infinity past the end. Calls must not go backwards. */
  timeOf(k: number): number {
    if (k >= this.schedule.totalRequests) return Infinity;
    const phases = this.schedule.phases;
    while (k >= this.schedule.firstRequestOf(this.phaseIndex + 1)) this.phaseIndex++;
    const phase = phases[this.phaseIndex]!;
    const n = k - this.schedule.cumulativeAt(this.phaseIndex);
    if (n <= 0) return phase.startMs;
    const seconds = (phase.endMs - phase.startMs) / 1000;
    const a = phase.fromRate;
    const s = (phase.toRate - a) / seconds;
    const t = s === 0 ? n / a : (2 * n) / (a + Math.sqrt(Math.max(0, a * a + 2 * s * n)));
    return Math.min(phase.endMs, phase.startMs + t * 1000);
  }
}

/** Compiles a profile into its schedule. */
export function compileProfile(spec: ProfileSpec): Schedule {
  switch (spec.kind) {
    case PROFILE_KIND.CONSTANT:
      return new Schedule([{ name: 'constant', durationMs: spec.durationMs, fromRate: spec.rate, toRate: spec.rate }], spec.kind);
    case PROFILE_KIND.RAMP:
      return new Schedule([{ name: 'ramp', durationMs: spec.durationMs, fromRate: spec.from, toRate: spec.to }], spec.kind);
    case PROFILE_KIND.STEPS:
      return new Schedule(
        spec.steps.map((step, i) => ({ name: `step ${i + 1} @ ${formatCount(step.rate)}/s`, durationMs: step.durationMs, fromRate: step.rate, toRate: step.rate })),
        spec.kind,
        spec.isStoppedAtFailure ?? false,
      );
    case PROFILE_KIND.DAILY:
      return new Schedule(planDailyHours(spec), spec.kind);
  }
}

/**
 * The day's hours, time-compressed. Hour h carries total·w_h/Σw requests; every hour
 * lasts as long as the busiest one needs at the peak rate, so the busiest hour runs at
 * exactly `peak`, the others at peak·w_h/w_max, and the whole total is delivered.
 */
export function planDailyHours(spec: DailyProfileSpec): { name: string; durationMs: number; fromRate: number; toRate: number }[] {
  const sum = spec.weights.reduce((total, weight) => total + weight, 0);
  const heaviest = Math.max(...spec.weights);
  const total = spec.total * spec.scale;
  const hourMs = ((total * heaviest) / sum / spec.peak) * 1000;
  return spec.weights.map((weight, hour) => {
    const rate = (spec.peak * weight) / heaviest;
    return { name: `hour ${String(hour).padStart(2, '0')}`, durationMs: hourMs, fromRate: rate, toRate: rate };
  });
}

/**
 * Whole requests needed to reach a real-valued count: request k is sent when the count
 * reaches k, so requests 0 .. ceil(count) − 1 lie before it. The tolerance keeps
 * 26,999,999.999999996 (floating-point for 27 million) from losing a request.
 */
function ceilCount(count: number): number {
  return Math.ceil(count - 1e-6);
}

