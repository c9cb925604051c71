import { render } from 'ink';
import React from 'react';
import { LoadDashboard, type LoadDashboardProps } from '../ui/index.js';
import { formatPhaseLine, formatSummary } from './format.js';
import { OUTCOME_NAMES } from '../protocol/index.js';
import type { LegInfo, LoadReporter } from './reporter.js';
import type { LoadResult } from './results.js';
import type { PhaseResult, TimelineRow } from './run-recorder.js';
import type { ThresholdResult } from './thresholds.js';

/** Redraws of the progress bar between rows; Ink itself is capped at this many frames a second too. */
const REDRAW_MS = 250;
const MAX_FPS = 30;
const SPARKLINE_LENGTH = 40;

/**
 * The dashboard on a terminal. Numbers reach it as props once per timeline row (about a
 * second) plus a clock tick four times a second for the progress bar; finished lines go
 * to Ink's <Static>. After the run the dashboard is unmounted and the summary printed as
 * plain lines: Ink's last frame is not a log.
 */
export class InkReporter implements LoadReporter {
  private instance: ReturnType<typeof render> | undefined;
  private timer: NodeJS.Timeout | undefined;
  private info: LegInfo | undefined;
  private startedAt = 0;
  private props: LoadDashboardProps | undefined;
  private readonly finished: { key: number; text: string }[] = [];
  private readonly errorTotals = new Map<string, number>();
  private isUp: boolean[] = [];
  private rateHistory: number[] = [];
  private isKeepingSchedule = true;

  private constructor(private readonly print: (line: string) => void) {}

  static create(print: (line: string) => void): InkReporter {
    return new InkReporter(print);
  }

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
      finished: this.finished,
      ...(info.pacing ? { pacing: info.pacing } : {}),
    };
    if (!this.instance) this.instance = render(React.createElement(LoadDashboard, this.props), { exitOnCtrlC: false, patchConsole: false, maxFps: MAX_FPS });
    clearInterval(this.timer);
    this.timer = setInterval(() => this.draw(), REDRAW_MS);
    this.draw();
  }

  row(row: TimelineRow): void {
    if (!this.props || !this.info) return;
    for (const [kind, count] of Object.entries(row.errors)) this.errorTotals.set(kind, (this.errorTotals.get(kind) ?? 0) + (count ?? 0));
    // After the schedule: only answers to what was in flight, at a rate that means nothing.
    if (row.isDrain) {
      this.props = { ...this.props, latencyRun: row.runLatency, errors: this.errorList() };
      return this.draw();
    }
    this.rateHistory.push(row.okRate);
    if (this.rateHistory.length > SPARKLINE_LENGTH) this.rateHistory.shift();
    if (row.lagP99Us > 10_000) this.isKeepingSchedule = false;
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
    this.draw();
  }

  phaseDone(phase: PhaseResult, thresholds?: ThresholdResult[]): void {
    if ((this.info?.schedule.phases.length ?? 1) > 1) this.event(formatPhaseLine(phase, thresholds));
  }

  event(text: string): void {
    this.finished.push({ key: this.finished.length, text });
    if (this.props) this.props = { ...this.props, finished: [...this.finished] };
    this.draw();
  }

  connection(target: number, isUp: boolean, message: string): void {
    this.isUp[target] = isUp;
    const name = this.info?.targets[target]?.name ?? `target ${target + 1}`;
    this.event(isUp ? `+ ${name}: connection restored` : `! ${name}: connection lost (${message})`);
  }

  endLeg(): void {}

  finish(result: LoadResult): void {
    clearInterval(this.timer);
    this.instance?.unmount();
    this.instance = undefined;
    this.print('');
    for (const line of formatSummary(result)) this.print(line);
  }

  private errorList(): { kind: string; count: number }[] {
    return OUTCOME_NAMES.filter((kind) => this.errorTotals.has(kind)).map((kind) => ({ kind, count: this.errorTotals.get(kind)! }));
  }

  private draw(): void {
    if (!this.props || !this.instance) return;
    const elapsedMs = Math.max(0, performance.now() - this.startedAt);
    const durationMs = this.props.durationMs;
    this.instance.rerender(React.createElement(LoadDashboard, { ...this.props, elapsedMs: Math.min(elapsedMs, durationMs), progress: durationMs > 0 ? Math.min(1, elapsedMs / durationMs) : 1 }));
  }
}
