import { formatCount } from '../cli/output.js';
import { describeTargets } from './connection-pool.js';
import { formatPhaseLine, formatRate, formatRowLine, formatSeconds, formatSummary } from './format.js';
import type { LegInfo, LoadReporter } from './reporter.js';
import type { LoadResult } from './results.js';
import type { PhaseResult, TimelineRow } from './run-recorder.js';
import type { ThresholdResult } from './thresholds.js';


/** Plain lines for logs and CI: a line a second, a line per finished phase, events, then the summary. */
export class PlainReporter implements LoadReporter {
  private info: LegInfo | undefined;

  constructor(private readonly print: (line: string) => void) {}

  startLeg(info: LegInfo): void {
    this.info = info;
    const schedule = info.schedule;
    const peak = Math.max(...schedule.phases.map((phase) => Math.max(phase.fromRate, phase.toRate)));
    this.print(
      `${info.legCount > 1 ? `[${info.legIndex + 1}/${info.legCount}] ` : ''}${info.scenario} ${info.label}: ${schedule.kind} profile, ${formatCount(schedule.totalRequests)} requests ` +
        `over ${formatSeconds(schedule.durationMs)} (peak ${formatRate(peak)}${schedule.phases.length > 1 ? `, ${schedule.phases.length} phases` : ''}) to ${describeTargets(info.targets)}`,
    );
    if (info.pacing) this.print(`pacing: ${info.pacing}`);
  }

  row(row: TimelineRow): void {
    // After the schedule: only answers to what was in flight, at a rate that means nothing.
    if (row.isDrain) return;
    this.print(formatRowLine(row, this.info?.schedule.phases[row.phase]?.name ?? '', this.info?.pacing !== undefined));
  }

  phaseDone(phase: PhaseResult, thresholds?: ThresholdResult[]): void {
    if ((this.info?.schedule.phases.length ?? 1) > 1) this.print(formatPhaseLine(phase, thresholds));
  }

  event(text: string): void {
    this.print(text);
  }

  connection(target: number, isUp: boolean, message: string): void {
    const name = this.info?.targets[target]?.name ?? `target ${target + 1}`;
    this.print(isUp ? `+ ${name}: connection restored` : `! ${name}: connection lost (${message})`);
  }

  endLeg(): void {}

  finish(result: LoadResult): void {
    this.print('');
    for (const line of formatSummary(result)) this.print(line);
  }
}
