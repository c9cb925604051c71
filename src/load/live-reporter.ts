import { formatCount } from '../cli/format.js';
import { createLiveView, type LiveView, type LoadDashboardProps } from '../ui/index.js';
import { describeTargets } from './connection-pool.js';
import { formatPhaseLine, formatRate, formatRowLine, formatSeconds, formatSummary } from './format.js';
import { OUTCOME_NAMES } from '../protocol/index.js';
import type { LegInfo, LoadReporter } from './reporter.js';
import type { LoadResult } from './results.js';
import type { PhaseResult, TimelineRow } from './run-recorder.js';
import type { ThresholdResult } from './thresholds.js';

/** Redraws of the dashboard's progress bar between rows. */
const REDRAW_MS = 250;
const SPARKLINE_LENGTH = 40;
/** Schedule lag p99 past which the dashboard says the generator is behind. */
const BEHIND_SCHEDULE_US = 10_000;

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
class LiveLoadReporter implements LoadReporter {
  private info: LegInfo | undefined;
  private startedAt = 0;
  private props: Omit<LoadDashboardProps, 'events'> | undefined;
  private readonly errorTotals = new Map<string, number>();
  private isUp: boolean[] = [];
  private rateHistory: number[] = [];
  private isKeepingSchedule = true;

  constructor(
    private readonly view: LiveView,
    private readonly print: (line: string) => void,
  ) {}

  startLeg(info: LegInfo): void {
    this.info = info;
    this.startedAt = performance.now();
    this.rateHistory = [];
    this.errorTotals.clear();
    this.isUp = info.targets.map(() => true);
    this.isKeepingSchedule = true;
    this.props = {
      scenario: info.scenario,
      leg: info.legCount > 1 ? `${info.label} (${info.legIndex + 1}/${info.legCount})` : info.label,
      phase: info.schedule.phases[0]?.name ?? '',
      progress: 0,
      elapsedMs: 0,
      durationMs: info.schedule.durationMs,
      targetRate: info.schedule.rateAt(0),
      achievedRate: 0,
      rateHistory: [],
      latencyNow: undefined,
      latencyRun: undefined,
      errors: [],
      brokers: info.targets.map((target) => ({ name: target.name, address: `${target.host}:${target.port}`, rate: 0, errors: 0, isUp: true })),
      health: { lagP99Us: 0, maxTickLateMs: 0, eventLoopDelayMaxMs: 0, inFlight: 0, rssBytes: process.memoryUsage.rss(), workers: info.workers, isKeepingSchedule: true },
      ...(info.pacing ? { pacing: info.pacing } : {}),
    };
    const schedule = info.schedule;
    const peak = Math.max(...schedule.phases.map((phase) => Math.max(phase.fromRate, phase.toRate)));
    const headline =
      `${info.legCount > 1 ? `[${info.legIndex + 1}/${info.legCount}] ` : ''}${info.scenario} ${info.label}: ${schedule.kind} profile, ${formatCount(schedule.totalRequests)} requests ` +
      `over ${formatSeconds(schedule.durationMs)} (peak ${formatRate(peak)}${schedule.phases.length > 1 ? `, ${schedule.phases.length} phases` : ''}) to ${describeTargets(info.targets)}`;
    this.view.start();
    this.view.refresh(info.pacing ? [headline, `pacing: ${info.pacing}`] : [headline]);
  }

  row(row: TimelineRow): void {
    if (!this.props || !this.info) return;
    for (const [kind, count] of Object.entries(row.errors)) this.errorTotals.set(kind, (this.errorTotals.get(kind) ?? 0) + (count ?? 0));
    // After the schedule: only answers to what was in flight, at a rate that means nothing.
    if (row.isDrain) {
      this.props = { ...this.props, latencyRun: row.runLatency, errors: this.errorList() };
      return this.view.refresh();
    }
    this.rateHistory.push(row.okRate);
    if (this.rateHistory.length > SPARKLINE_LENGTH) this.rateHistory.shift();
    if (row.lagP99Us > BEHIND_SCHEDULE_US) this.isKeepingSchedule = false;
    this.props = {
      ...this.props,
      phase: this.info.schedule.phases[row.phase]?.name ?? this.props.phase,
      targetRate: row.targetRate,
      achievedRate: row.okRate,
      rateHistory: [...this.rateHistory],
      latencyNow: row.latency,
      latencyRun: row.runLatency,
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
        inFlight: row.inFlight,
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
    this.event(isUp ? `+ ${name}: connection restored` : `! ${name}: connection lost (${message})`);
  }

  endLeg(): void {}

  finish(result: LoadResult): void {
    this.view.stop();
    this.print('');
    for (const line of formatSummary(result)) this.print(line);
  }

  /** The dashboard's props now: the latest row's figures, and the clock. */
  dashboardProps(): Omit<LoadDashboardProps, 'events'> {
    const props = this.props!;
    const elapsedMs = Math.max(0, performance.now() - this.startedAt);
    const durationMs = props.durationMs;
    return { ...props, elapsedMs: Math.min(elapsedMs, durationMs), progress: durationMs > 0 ? Math.min(1, elapsedMs / durationMs) : 1 };
  }

  private errorList(): { kind: string; count: number }[] {
    return OUTCOME_NAMES.filter((kind) => this.errorTotals.has(kind)).map((kind) => ({ kind, count: this.errorTotals.get(kind)! }));
  }
}
