import type { LoadTarget } from './connection-pool.js';
import type { GeneratorHealth, IntervalSnapshot } from './generator.js';
import { createHistogram, encodeHistogram, mergeEncoded, readDistribution, readPercentiles, roundTo, type Histogram, type Percentiles } from './histograms.js';
import { OUTCOME, OUTCOME_COUNT, OUTCOME_NAMES, type OutcomeName } from '../protocol/index.js';
import { toOutcomeCounts, type OutcomeCounts } from './outcomes.js';
import type { Schedule } from './profile.js';

/** One line of the run's timeline: an interval (about a second) with every worker's figures merged. */
export interface TimelineRow {
  /** Run-relative end of the interval, ms. */
  atMs: number;
  seconds: number;
  phase: number;
  /** The row began after the schedule ended: only answers to what was still in flight (its rates mean nothing). */
  isDrain: boolean;
  targetRate: number;
  sentRate: number;
  /** Answers that were not errors, per second: the achieved rate. */
  okRate: number;
  /** Requests sent, and requests that ended (answer, error, timeout), in the interval. */
  sent: number;
  answered: number;
  ok: number;
  errors: OutcomeCounts;
  latency: Percentiles | undefined;
  /** Corrected latency of the run so far. */
  runLatency: Percentiles | undefined;
  lagP99Us: number;
  lagMaxUs: number;
  /** Schedule lag p99 of the run so far: what judges the run's validity at its end. */
  runLagP99Us: number;
  maxTickLateMs: number;
  eventLoopDelayMaxMs: number;
  inFlight: number;
  rssBytes: number;
  /** Run-relative times of the first and last error in the interval, ms; -1 when there was none. */
  firstErrorAtMs: number;
  lastErrorAtMs: number;
  /** Per target (broker): answers and errors in the interval. */
  byTarget: { ok: number; errors: number }[];
}

export interface PhaseResult {
  index: number;
  name: string;
  startMs: number;
  endMs: number;
  targetPerSecond: number;
  expected: number;
  sent: number;
  ok: number;
  errors: number;
  /** ok / expected, percent. */
  deliveredPercent: number;
  latency: Percentiles | undefined;
  lag: Percentiles | undefined;
}

/** Figures for the requests of one target (a broker) or one entry of the mix (a route). */
export interface BreakdownRow {
  name: string;
  address?: string;
  outcomes: OutcomeCounts;
}

export interface RunFigures {
  /** Requests the schedule called for up to its end, or up to where the generators were stopped. */
  expected: number;
  /** Schedule time at which the generators were stopped (the latest of them), ms; -1 when they ran the schedule to its end. */
  stoppedAtMs: number;
  sent: number;
  ok: number;
  errors: number;
  outcomes: OutcomeCounts;
  latency: { corrected: Percentiles | undefined; uncorrected: Percentiles | undefined; scheduleLag: Percentiles | undefined };
  phases: PhaseResult[];
  routes: BreakdownRow[];
  brokers: BreakdownRow[];
  errorSamples: { outcome: OutcomeName; message: string }[];
  health: { maxTickLateMs: number; eventLoopDelayMaxMs: number; peakRssBytes: number; finalRssBytes: number };
}

/** The full histograms, for `--out`. */
export interface RunHistograms {
  corrected: string;
  uncorrected: string;
  scheduleLag: string;
  phases: { name: string; corrected: string }[];
  distribution: { percentile: number; us: number }[];
}

/**
 * Merges what the generators report: interval snapshots of every worker become timeline
 * rows, and add up into the run's histograms, per phase and in total. Lives on the main
 * thread; its memory grows with the number of intervals (a few hundred bytes each), not
 * with requests.
 */
export class RunRecorder {
  readonly corrected = createHistogram();
  readonly uncorrected = createHistogram();
  readonly lag = createHistogram();
  readonly phaseCorrected: Histogram[];
  readonly phaseLag: Histogram[];
  readonly timeline: TimelineRow[] = [];
  private readonly queues: IntervalSnapshot[][];
  private readonly isWorkerDone: boolean[];
  private readonly byEntry: Float64Array;
  private readonly byTarget: Float64Array;
  private readonly phaseSent: Float64Array[];
  private readonly phaseOutcomes: Float64Array[];
  private readonly errorSamples = new Map<number, string>();
  private readonly rowCorrected = createHistogram();
  private readonly rowLag = createHistogram();
  private maxTickLateMs = 0;
  private eventLoopDelayMaxMs = 0;
  private peakRssBytes = 0;
  private lastRowAt = 0;
  private sent = 0;
  private expected = 0;
  private stoppedAtMs = -1;

  constructor(
    readonly schedule: Schedule,
    readonly labels: readonly string[],
    readonly targets: readonly LoadTarget[],
    readonly workers: number,
    private readonly onRow: (row: TimelineRow) => void = () => {},
    /** Each row's corrected latency histogram, with the row's run-relative start and end (ms): `--hdr-log`. */
    private readonly onRowHistogram?: (startMs: number, endMs: number, histogram: Histogram) => void,
  ) {
    const phases = schedule.phases.length;
    this.phaseCorrected = schedule.phases.map(() => createHistogram());
    this.phaseLag = schedule.phases.map(() => createHistogram());
    this.queues = Array.from({ length: workers }, () => []);
    this.isWorkerDone = Array.from({ length: workers }, () => false);
    this.byEntry = new Float64Array(labels.length * OUTCOME_COUNT);
    this.byTarget = new Float64Array(targets.length * OUTCOME_COUNT);
    this.phaseSent = Array.from({ length: workers }, () => new Float64Array(phases));
    this.phaseOutcomes = Array.from({ length: workers }, () => new Float64Array(phases * OUTCOME_COUNT));
  }

  add(snapshot: IntervalSnapshot): void {
    this.queues[snapshot.worker]!.push(snapshot);
    this.phaseSent[snapshot.worker]!.set(snapshot.phaseSent);
    this.phaseOutcomes[snapshot.worker]!.set(snapshot.phaseOutcomes);
    for (const sample of snapshot.errorSamples) if (!this.errorSamples.has(sample.outcome)) this.errorSamples.set(sample.outcome, sample.message);
    if (snapshot.isFinal) {
      this.isWorkerDone[snapshot.worker] = true;
      this.expected += snapshot.expected;
      this.stoppedAtMs = Math.max(this.stoppedAtMs, snapshot.stoppedAtMs);
    }
    this.drainRows();
  }

  /** Rows are emitted once every worker still running has reported its next interval. */
  private drainRows(): void {
    for (;;) {
      const isReady = this.queues.every((queue, worker) => queue.length > 0 || this.isWorkerDone[worker]);
      const hasAny = this.queues.some((queue) => queue.length > 0);
      if (!isReady || !hasAny) return;
      this.emitRow(this.queues.map((queue) => queue.shift()).filter((snapshot): snapshot is IntervalSnapshot => snapshot !== undefined));
    }
  }

  private emitRow(snapshots: IntervalSnapshot[]): void {
    this.rowCorrected.reset();
    this.rowLag.reset();
    let sent = 0;
    let startMs = Infinity;
    let endMs = 0;
    let phase = 0;
    let firstErrorAtMs = -1;
    let lastErrorAtMs = -1;
    const health: GeneratorHealth = { ticks: 0, maxTickLateMs: 0, eventLoopDelayP99Ms: 0, eventLoopDelayMaxMs: 0, inFlight: 0 };
    const rowByEntry = new Float64Array(this.byEntry.length);
    const byTarget = this.targets.map(() => ({ ok: 0, errors: 0 }));
    for (const snapshot of snapshots) {
      sent += snapshot.sent;
      startMs = Math.min(startMs, snapshot.startMs);
      endMs = Math.max(endMs, snapshot.endMs);
      phase = Math.max(phase, snapshot.phase);
      if (snapshot.firstErrorAtMs >= 0 && (firstErrorAtMs < 0 || snapshot.firstErrorAtMs < firstErrorAtMs)) firstErrorAtMs = snapshot.firstErrorAtMs;
      lastErrorAtMs = Math.max(lastErrorAtMs, snapshot.lastErrorAtMs);
      mergeEncoded(this.rowCorrected, snapshot.corrected);
      mergeEncoded(this.rowLag, snapshot.lag);
      mergeEncoded(this.uncorrected, snapshot.uncorrected);
      for (let i = 0; i < rowByEntry.length; i++) rowByEntry[i]! += snapshot.byEntry[i]!;
      for (let i = 0; i < this.byTarget.length; i++) {
        this.byTarget[i]! += snapshot.byTarget[i]!;
        const target = byTarget[Math.floor(i / OUTCOME_COUNT)]!;
        if (i % OUTCOME_COUNT === OUTCOME.OK) target.ok += snapshot.byTarget[i]!;
        else target.errors += snapshot.byTarget[i]!;
      }
      health.maxTickLateMs = Math.max(health.maxTickLateMs, snapshot.health.maxTickLateMs);
      health.eventLoopDelayMaxMs = Math.max(health.eventLoopDelayMaxMs, snapshot.health.eventLoopDelayMaxMs);
      health.inFlight += snapshot.health.inFlight;
    }
    this.corrected.add(this.rowCorrected);
    this.lag.add(this.rowLag);
    this.phaseCorrected[phase]!.add(this.rowCorrected);
    this.phaseLag[phase]!.add(this.rowLag);
    const rowOutcomes = new Float64Array(OUTCOME_COUNT);
    for (let i = 0; i < rowByEntry.length; i++) {
      this.byEntry[i]! += rowByEntry[i]!;
      rowOutcomes[i % OUTCOME_COUNT]! += rowByEntry[i]!;
    }
    const ok = rowOutcomes[OUTCOME.OK]!;
    const rssBytes = process.memoryUsage.rss();
    this.peakRssBytes = Math.max(this.peakRssBytes, rssBytes);
    this.maxTickLateMs = Math.max(this.maxTickLateMs, health.maxTickLateMs);
    this.eventLoopDelayMaxMs = Math.max(this.eventLoopDelayMaxMs, health.eventLoopDelayMaxMs);
    const rowStartMs = Math.max(startMs, this.lastRowAt);
    const seconds = Math.max(0.001, (endMs - rowStartMs) / 1000);
    this.lastRowAt = endMs;
    this.sent += sent;
    this.onRowHistogram?.(rowStartMs, endMs, this.rowCorrected);
    const { OK: _, ...errorCounts } = toOutcomeCounts(rowOutcomes, 0);
    const lag = readPercentiles(this.rowLag);
    const answered = rowOutcomes.reduce((sum, count) => sum + count, 0);
    const row: TimelineRow = {
      atMs: roundTo(endMs, 3),
      seconds: roundTo(seconds, 6),
      phase,
      isDrain: startMs >= this.schedule.durationMs,
      targetRate: roundTo(this.schedule.rateAt(Math.min(endMs, this.schedule.durationMs) - seconds * 500), 2),
      sentRate: roundTo(sent / seconds, 2),
      okRate: roundTo(ok / seconds, 2),
      sent,
      answered,
      ok,
      errors: errorCounts,
      latency: readPercentiles(this.rowCorrected),
      runLatency: readPercentiles(this.corrected),
      lagP99Us: lag?.p99Us ?? 0,
      lagMaxUs: lag?.maxUs ?? 0,
      runLagP99Us: this.lag.totalCount > 0 ? this.lag.getValueAtPercentile(99) : 0,
      maxTickLateMs: roundTo(health.maxTickLateMs, 3),
      eventLoopDelayMaxMs: roundTo(health.eventLoopDelayMaxMs, 3),
      inFlight: health.inFlight,
      rssBytes,
      firstErrorAtMs: roundTo(firstErrorAtMs, 3),
      lastErrorAtMs: roundTo(lastErrorAtMs, 3),
      byTarget,
    };
    this.timeline.push(row);
    this.onRow(row);
  }

  /**
   * A phase's figures: requests counted by their intended time (sent, and answered so
   * far), latency from the rows of the phase. Exact once everything sent has ended.
   */
  phaseResult(index: number): PhaseResult {
    const phase = this.schedule.phases[index]!;
    let sent = 0;
    let ok = 0;
    let answered = 0;
    for (let worker = 0; worker < this.workers; worker++) {
      sent += this.phaseSent[worker]![index]!;
      for (let outcome = 0; outcome < OUTCOME_COUNT; outcome++) {
        const count = this.phaseOutcomes[worker]![index * OUTCOME_COUNT + outcome]!;
        answered += count;
        if (outcome === OUTCOME.OK) ok += count;
      }
    }
    return {
      index,
      name: phase.name,
      startMs: phase.startMs,
      endMs: phase.endMs,
      targetPerSecond: roundTo(phase.fromRate === phase.toRate ? phase.fromRate : (phase.fromRate + phase.toRate) / 2, 2),
      expected: phase.expected,
      sent,
      ok,
      errors: answered - ok,
      deliveredPercent: phase.expected === 0 ? 100 : roundTo((ok / phase.expected) * 100, 4),
      latency: readPercentiles(this.phaseCorrected[index]!),
      lag: readPercentiles(this.phaseLag[index]!),
    };
  }

  /** Requests sent, and those that ended by outcome, so far: what an abort-on-fail threshold is judged on during the run. */
  totals(): { sent: number; ok: number; answered: number } {
    let ok = 0;
    let answered = 0;
    for (let i = 0; i < this.byEntry.length; i++) {
      answered += this.byEntry[i]!;
      if (i % OUTCOME_COUNT === OUTCOME.OK) ok += this.byEntry[i]!;
    }
    return { sent: this.sent, ok, answered };
  }

  /** The run's figures; phases count requests by their intended time, so delivered against expected is exact. */
  figures(): RunFigures {
    const phases = this.schedule.phases.map((_, index) => this.phaseResult(index));
    const outcomes: OutcomeCounts = {};
    for (let outcome = 0; outcome < OUTCOME_COUNT; outcome++) {
      let count = 0;
      for (let entry = 0; entry < this.labels.length; entry++) count += this.byEntry[entry * OUTCOME_COUNT + outcome]!;
      if (count > 0) outcomes[OUTCOME_NAMES[outcome]!] = count;
    }
    const ok = outcomes.OK ?? 0;
    const answered = Object.values(outcomes).reduce((sum, count) => sum + (count ?? 0), 0);
    return {
      expected: this.expected,
      stoppedAtMs: this.stoppedAtMs,
      sent: phases.reduce((sum, phase) => sum + phase.sent, 0),
      ok,
      errors: answered - ok,
      outcomes,
      latency: { corrected: readPercentiles(this.corrected), uncorrected: readPercentiles(this.uncorrected), scheduleLag: readPercentiles(this.lag) },
      phases,
      routes: this.labels.map((name, entry) => ({ name, outcomes: toOutcomeCounts(this.byEntry, entry) })),
      brokers: this.targets.map((target, index) => ({ name: target.name, address: `${target.host}:${target.port}`, outcomes: toOutcomeCounts(this.byTarget, index) })),
      errorSamples: [...this.errorSamples].map(([outcome, message]) => ({ outcome: OUTCOME_NAMES[outcome]!, message })),
      health: {
        maxTickLateMs: roundTo(this.maxTickLateMs, 3),
        eventLoopDelayMaxMs: roundTo(this.eventLoopDelayMaxMs, 3),
        peakRssBytes: this.peakRssBytes,
        finalRssBytes: this.timeline.at(-1)?.rssBytes ?? process.memoryUsage.rss(),
      },
    };
  }

  histograms(): RunHistograms {
    return {
      corrected: encodeHistogram(this.corrected),
      uncorrected: encodeHistogram(this.uncorrected),
      scheduleLag: encodeHistogram(this.lag),
      phases: this.schedule.phases.map((phase, index) => ({ name: phase.name, corrected: encodeHistogram(this.phaseCorrected[index]!) })),
      distribution: readDistribution(this.corrected),
    };
  }
}
