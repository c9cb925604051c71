import { formatCount, formatMicros } from '../cli/format.js';
import { createLiveView, type DashboardLatency, type LiveView, type LoadDashboardProps } from '../ui/index.js';
import { describeTargets } from './connection-pool.js';
import { formatConnectionEvent, formatOutcomes, formatPhaseLine, formatRate, formatRowLine, formatSeconds, formatSummary } from './format.js';
import type { Percentiles } from './histograms.js';
import { OUTCOME_NAMES } from '../protocol/index.js';
import type { LegInfo, LoadReporter } from './reporter.js';
import type { LoadResult, WarmupResult } from './results.js';
import type { PhaseResult, TimelineRow } from './run-recorder.js';
import type { ThresholdResult } from './thresholds.js';

/** Redraws of the dashboard's progress bar between rows. */
const REDRAW_MS = 250;
const SPARKLINE_LENGTH = 40;

/**
 * A run's progress through the one live view: the Ink dashboard where a person watches (a
 * terminal, CI unset), otherwise plain lines — a line per leg, a line a second, a line per
 * finished phase, events. After the run the view stops and the summary is printed as plain
 * lines, the same on both.
 */
export async function createLoadReporter(isInteractive: boolean, print: (line: string) => void): Promise<LoadReporter> {
  let reporter: LiveLoadReporter | undefined;
  const view = await createLiveView({ isInteractive, print, view: 'LoadDashboard', props: () => reporter!.dashboardProps(), redrawMs: REDRAW_MS });
  reporter = new LiveLoadReporter(view, print);
  return reporter;
}

/**
 * Numbers reach the dashboard as props once per timeline row (about a second) plus a clock
 * tick four times a second for the progress bar; measuring never waits on reporting.
 */
export class LiveLoadReporter implements LoadReporter {
  private info: LegInfo | undefined;
  /** performance.now() at the measured start (the clock and the progress bar follow measured time), or at the warm-up's start. */
  private startedAt = Infinity;
  private warmupStartedAt = 0;
  private props: Omit<LoadDashboardProps, 'events'> | undefined;
  private readonly errorTotals = new Map<string, number>();
  private isUp: boolean[] = [];
  private rateHistory: number[] = [];
  private isKeepingSchedule = true;
  private sent = 0;
  private answered = 0;

  constructor(
    private readonly view: LiveView,
    private readonly print: (line: string) => void,
  ) {}

  startLeg(info: LegInfo): void {
    this.info = info;
    this.startedAt = Infinity;
    this.warmupStartedAt = performance.now();
    this.rateHistory = [];
    this.errorTotals.clear();
    this.isUp = info.targets.map(() => true);
    this.isKeepingSchedule = true;
    this.sent = 0;
    this.answered = 0;
    this.props = {
      scenario: info.scenario,
      leg: info.legCount > 1 ? `${info.label} (${info.legIndex + 1}/${info.legCount})` : info.label,
      phase: info.schedule.phases[0]?.name ?? '',
      stage: 'starting',
      warmupMs: 0,
      progress: 0,
      elapsedMs: 0,
      durationMs: info.schedule.durationMs,
      requests: { sent: 0, answered: 0, expected: info.schedule.totalRequests },
      targetRate: info.schedule.rateAt(0),
      achievedRate: 0,
      rateHistory: [],
      latencyNow: undefined,
      latencyRun: undefined,
      errors: [],
      brokers: info.targets.map((target) => ({ name: target.name, address: `${target.host}:${target.port}`, rate: 0, errors: 0, isUp: true })),
      health: { lagP99Us: 0, maxTickLateMs: 0, eventLoopDelayMaxMs: 0, rssBytes: process.memoryUsage.rss(), workers: info.workers, isKeepingSchedule: true },
      ...(info.pacing ? { pacing: info.pacing } : {}),
    };
    const schedule = info.schedule;
    const peak = Math.max(...schedule.phases.map((phase) => Math.max(phase.fromRate, phase.toRate)));
    const headline =
      `${info.legCount > 1 ? `[${info.legIndex + 1}/${info.legCount}] ` : ''}${info.scenario} ${info.label}: ${schedule.kind} profile, ${formatCount(schedule.totalRequests)} requests ` +
      `over ${formatSeconds(schedule.durationMs)} (peak ${formatRate(peak)}${schedule.phases.length > 1 ? `, ${schedule.phases.length} phases` : ''}) to ${describeTargets(info.targets)}`;
    this.view.start();
    // Events, not figures: they stay above the dashboard too.
    this.view.event(headline);
    if (info.pacing) this.view.event(`pacing: ${info.pacing}`);
  }

  warmingUp(durationMs: number): void {
    if (!this.props) return;
    this.warmupStartedAt = performance.now();
    this.props = { ...this.props, stage: 'warm-up', warmupMs: durationMs };
    this.view.event(durationMs > 0 ? `warm-up: connecting, then ${formatSeconds(durationMs)} of ramp up to the first rate — not measured` : 'connecting (no warm-up)');
  }

  measuring(startAtEpochMs: number, warmup: WarmupResult): void {
    if (!this.props) return;
    this.startedAt = startAtEpochMs - performance.timeOrigin;
    this.props = { ...this.props, stage: 'run' };
    if (warmup.sent > 0) {
      this.view.event(
        `warm-up done: sent ${formatCount(warmup.sent)}, ok ${formatCount(warmup.ok)}, errors ${warmup.errors === 0 ? 0 : formatOutcomes({ ...warmup.outcomes, OK: 0 }, false)} (not measured); measuring now`,
      );
    }
  }

  row(row: TimelineRow): void {
    if (!this.props || !this.info) return;
    for (const [kind, count] of Object.entries(row.errors)) this.errorTotals.set(kind, (this.errorTotals.get(kind) ?? 0) + (count ?? 0));
    this.sent += row.sent;
    this.answered += row.answered;
    const requests = { ...this.props.requests, sent: this.sent, answered: this.answered };
    // The run's validity is judged on its schedule lag p99 so far: said as soon as it fails, not only in the summary.
    const maxLagUs = this.info.maxLagMs * 1000;
    const invalid = this.info.pacing || row.runLagP99Us <= maxLagUs ? undefined : `schedule lag p99 ${formatMicros(row.runLagP99Us)} is above --max-lag ${formatMicros(maxLagUs)}`;
    // After the schedule: only answers to what was in flight, at a rate that means nothing.
    if (row.isDrain) {
      this.props = { ...this.props, stage: 'draining', requests, latencyRun: toDashboard(row.runLatency), errors: this.errorList(), ...(invalid ? { invalid } : {}) };
      return this.view.refresh();
    }
    this.rateHistory.push(row.okRate);
    if (this.rateHistory.length > SPARKLINE_LENGTH) this.rateHistory.shift();
    if (row.lagP99Us > maxLagUs) this.isKeepingSchedule = false;
    const { invalid: _, ...props } = this.props;
    this.props = {
      ...props,
      ...(invalid ? { invalid } : {}),
      requests,
      phase: this.info.schedule.phases[row.phase]?.name ?? this.props.phase,
      targetRate: row.targetRate,
      achievedRate: row.okRate,
      rateHistory: [...this.rateHistory],
      latencyNow: toDashboard(row.latency),
      latencyRun: toDashboard(row.runLatency),
      errors: this.errorList(),
      brokers: this.info.targets.map((target, i) => ({
        name: target.name,
        address: `${target.host}:${target.port}`,
        rate: (row.byTarget[i]?.ok ?? 0) / row.seconds,
        errors: row.byTarget[i]?.errors ?? 0,
        isUp: this.isUp[i] ?? true,
      })),
      health: {
        lagP99Us: row.lagP99Us,
        maxTickLateMs: row.maxTickLateMs,
        eventLoopDelayMaxMs: row.eventLoopDelayMaxMs,
        rssBytes: row.rssBytes,
        workers: this.info.workers,
        isKeepingSchedule: this.isKeepingSchedule,
      },
    };
    this.view.refresh([formatRowLine(row, this.info.schedule.phases[row.phase]?.name ?? '', this.info.pacing !== undefined)]);
  }

  phaseDone(phase: PhaseResult, thresholds?: ThresholdResult[]): void {
    if ((this.info?.schedule.phases.length ?? 1) > 1) this.event(formatPhaseLine(phase, thresholds));
  }

  event(text: string): void {
    this.view.event(text);
  }

  connection(target: number, isUp: boolean, message: string): void {
    this.isUp[target] = isUp;
    const name = this.info?.targets[target]?.name ?? `target ${target + 1}`;
    this.event(formatConnectionEvent(name, isUp, message));
  }

  endLeg(): void {}

  finish(result: LoadResult): void {
    this.view.stop();
    this.print('');
    for (const line of formatSummary(result)) this.print(line);
  }

  /** The dashboard's props now: the latest row's figures, and the clock — the warm-up's, then the measured run's. */
  dashboardProps(): Omit<LoadDashboardProps, 'events'> {
    const props = this.props!;
    const now = performance.now();
    // Connecting comes before the ramp: the warm-up's clock stops at its length.
    if (props.stage === 'warm-up' || props.stage === 'starting') return { ...props, elapsedMs: Math.min(now - this.warmupStartedAt, props.warmupMs), progress: 0 };
    const elapsedMs = Math.max(0, now - this.startedAt);
    const durationMs = props.durationMs;
    return { ...props, elapsedMs: Math.min(elapsedMs, durationMs), progress: durationMs > 0 ? Math.min(1, elapsedMs / durationMs) : 1 };
  }

  private errorList(): { kind: string; count: number }[] {
    return OUTCOME_NAMES.filter((kind) => this.errorTotals.has(kind)).map((kind) => ({ kind, count: this.errorTotals.get(kind)! }));
  }
}

function toDashboard(latency: Percentiles | undefined): DashboardLatency | undefined {
  return latency && { p50: latency.p50Us, p90: latency.p90Us, p99: latency.p99Us, p999: latency.p999Us, max: latency.maxUs };
}
