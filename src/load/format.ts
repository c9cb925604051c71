import { formatCount, formatMicros, formatPercent } from '../cli/format.js';
import { formatTable } from '../cli/table.js';
import type { LatencySpectrum, Percentiles } from './histograms.js';
import { countErrors, type OutcomeCounts } from './outcomes.js';
import type { FaultResult, LegResult, LoadResult } from './results.js';
import type { PhaseResult, TimelineRow } from './run-recorder.js';
import type { ThresholdResult } from './thresholds.js';

/** How `rsb load` writes its figures, the same in plain lines, the summary, the dashboard and the HTML page. */

export function formatRate(perSecond: number): string {
  return `${formatCount(perSecond)}/s`;
}

export function formatBytes(bytes: number): string {
  return `${Math.round(bytes / (1024 * 1024))} MB`;
}

export function formatSeconds(ms: number): string {
  return ms >= 10_000 ? `${Math.round(ms / 1000)} s` : `${(ms / 1000).toFixed(1)} s`;
}

/** A moment of the run to the millisecond: `10.046 s`. */
export function formatInstant(ms: number): string {
  return `${(ms / 1000).toFixed(3)} s`;
}

export function formatLatency(latency: Percentiles | undefined): string {
  if (!latency) return 'no answers';
  return `p50 ${formatMicros(latency.p50Us)}  p90 ${formatMicros(latency.p90Us)}  p99 ${formatMicros(latency.p99Us)}  p99.9 ${formatMicros(latency.p999Us)}  max ${formatMicros(latency.maxUs)}`;
}

export function formatOutcomes(counts: OutcomeCounts, isOkShown = true): string {
  const parts = Object.entries(counts)
    .filter(([name, count]) => (isOkShown || name !== 'OK') && (count ?? 0) > 0)
    .map(([name, count]) => `${name} ${formatCount(count ?? 0)}`);
  return parts.length ? parts.join(', ') : 'none';
}

/** `! broker-2: connection lost (read ECONNRESET)`, `+ broker-2: connection restored`. */
export function formatConnectionEvent(name: string, isUp: boolean, message: string): string {
  return isUp ? `+ ${name}: connection restored` : `! ${name}: connection lost (${message})`;
}

/** One plain line per timeline row: what CI logs show every second. */
/** One timeline row; `isClosedLoop` (HTTP runs) leaves out the schedule lag, which closed loop does not have. */
export function formatRowLine(row: TimelineRow, phaseName: string, isClosedLoop = false): string {
  const errors = countErrors(row.errors);
  return [
    `${formatSeconds(row.atMs).padStart(6)}`,
    phaseName.padEnd(10),
    `target ${formatRate(row.targetRate).padStart(10)}`,
    `achieved ${formatRate(row.okRate).padStart(10)}`,
    row.latency ? `p50 ${formatMicros(row.latency.p50Us)}  p99 ${formatMicros(row.latency.p99Us)}  max ${formatMicros(row.latency.maxUs)}` : 'no answers',
    `errors ${errors === 0 ? 0 : formatOutcomes(row.errors)}`,
    ...(isClosedLoop ? [] : [`lag p99 ${formatMicros(row.lagP99Us)}`]),
    `in flight ${formatCount(row.inFlight)}`,
    `rss ${formatBytes(row.rssBytes)}`,
  ].join('  ');
}

/**
 * A phase that ended, told when its last row is in (its requests maybe still in flight),
 * or once judged (steps up to the limit) a while later, with its verdict.
 */
export function formatPhaseLine(phase: PhaseResult, thresholds?: ThresholdResult[]): string {
  const verdict = thresholds ? (thresholds.every((threshold) => threshold.isPassed) ? 'held' : 'BROKE') : 'done';
  const failing = thresholds?.filter((threshold) => !threshold.isPassed).map((threshold) => `${threshold.threshold} measured ${threshold.measured}`) ?? [];
  const inFlight = phase.sent - phase.ok - phase.errors;
  return (
    `${verdict === 'BROKE' ? '✗' : '✓'} ${phase.name} ${verdict} at ${formatSeconds(phase.endMs)}: sent ${formatCount(phase.sent)} of ${formatCount(phase.expected)} expected, ` +
    `ok ${formatCount(phase.ok)} (${formatPercent(phase.deliveredPercent)}%), errors ${formatCount(phase.errors)}${inFlight > 0 ? `, ${formatCount(inFlight)} still in flight` : ''}, ` +
    `p99 ${phase.latency ? formatMicros(phase.latency.p99Us) : '—'}` +
    (failing.length ? ` — ${failing.join('; ')}` : '')
  );
}

/** The numeric columns of a latency table: p50 to max. */
const LATENCY_COLUMNS = [1, 2, 3, 4, 5];

function latencyCells(latency: Percentiles | undefined): string[] {
  return latency ? [latency.p50Us, latency.p90Us, latency.p99Us, latency.p999Us, latency.maxUs].map((us) => formatMicros(us)) : ['—', '—', '—', '—', '—'];
}

/** The summary printed after the run: figures per leg, the baseline side by side, phases, faults, thresholds, verdict. */
export function formatSummary(result: LoadResult): string[] {
  const lines: string[] = [];
  const legs = [result.baseline, result.run].filter((leg): leg is LegResult => leg !== undefined);
  lines.push(`rsb load ${result.scenario}${result.description ? ` — ${result.description}` : ''}`);
  for (const leg of legs) {
    lines.push('', `${leg.label}: ${leg.targets.join(', ')}; ${leg.workers} worker${leg.workers === 1 ? '' : 's'} × ${leg.connectionsPerTarget} connection${leg.connectionsPerTarget === 1 ? '' : 's'} per target`);
    if (leg.stop) lines.push(`  ${leg.stop.reason}`);
    const warmup = leg.warmup;
    if (warmup.sent > 0) {
      lines.push(
        `  warm-up    sent ${formatCount(warmup.sent)}, ok ${formatCount(warmup.ok)}, errors ${formatCount(warmup.errors)}${warmup.errors ? ` (${formatOutcomes(warmup.outcomes, false)})` : ''}` +
          ` — not measured, left out of every figure below (the brokers count them)`,
      );
    }
    const over = leg.stop && leg.ranForMs < leg.profile.durationMs ? ` over the ${formatSeconds(leg.ranForMs)} that ran` : '';
    lines.push(
      `  requests   expected ${formatCount(leg.requests.expected)}${over}, sent ${formatCount(leg.requests.sent)}, ok ${formatCount(leg.requests.ok)}, errors ${formatCount(leg.requests.errors)}${leg.requests.errors ? ` (${formatOutcomes(leg.outcomes, false)})` : ''}`,
    );
    if (leg.ranForMs > 0) lines.push(`  rate       target ${formatRate(leg.targetPerSecond)}, achieved ${formatRate(leg.achievedPerSecond)} (${formatPercent(leg.achievedPercent)}%)`);
    if (leg.pacing) lines.push(`  pacing     ${leg.pacing}`);
    const latencyRows = leg.pacing
      ? [['  from the actual send time', ...latencyCells(leg.latency.uncorrected)]]
      : [
          ['  corrected (from the intended send time)', ...latencyCells(leg.latency.corrected)],
          ['  uncorrected (from the actual send time)', ...latencyCells(leg.latency.uncorrected)],
          ['  schedule lag (actual − intended send time)', ...latencyCells(leg.latency.scheduleLag)],
        ];
    lines.push(...formatTable(['  latency', 'p50', 'p90', 'p99', 'p99.9', 'max'], latencyRows, LATENCY_COLUMNS));
    if (leg.latencySpectrum) lines.push(...formatSpectrum(leg.latencySpectrum));
    lines.push(
      leg.pacing
        ? `  generator  autocannon on the main thread; event-loop delay max ${leg.health.eventLoopDelayMaxMs.toFixed(1)} ms, rss peak ${formatBytes(leg.health.peakRssBytes)}`
        : `  generator  ${leg.validity.isValid ? 'kept its schedule' : 'DID NOT keep its schedule'}; latest tick ${leg.health.maxTickLateMs.toFixed(1)} ms late, event-loop delay max ${leg.health.eventLoopDelayMaxMs.toFixed(1)} ms, rss peak ${formatBytes(leg.health.peakRssBytes)}`,
    );
    for (const reason of leg.validity.reasons) lines.push(`    invalid: ${reason}`);
    if (leg.phases.length > 1) {
      lines.push('  phases');
      lines.push(
        ...formatTable(
          ['    phase', 'target', 'expected', 'sent', 'ok', 'delivered', 'errors', 'p99', ''],
          leg.phases.map((phase) => [
              `    ${phase.name}`,
              formatRate(phase.targetPerSecond),
              formatCount(phase.expected),
              formatCount(phase.sent),
              formatCount(phase.ok),
              `${formatPercent(phase.deliveredPercent)}%`,
              formatCount(phase.errors),
              phase.latency ? formatMicros(phase.latency.p99Us) : '—',
            phase.thresholds ? (phase.thresholds.every((threshold) => threshold.isPassed) ? 'held' : 'broke') : '',
          ]),
          [1, 2, 3, 4, 5, 6, 7],
        ),
      );
    }
    if (leg.brokers.length > 1 || leg.routes.length > 1) {
      lines.push(
        ...formatTable(
          ['    by target / route', 'ok', 'errors'],
          [
            ...leg.brokers.map((broker) => [`    ${broker.name} ${broker.address ?? ''}`, formatCount(broker.outcomes.OK ?? 0), formatOutcomes({ ...broker.outcomes, OK: 0 }, false)]),
            ...(leg.routes.length > 1 ? leg.routes.map((route) => [`    ${route.name}`, formatCount(route.outcomes.OK ?? 0), formatOutcomes({ ...route.outcomes, OK: 0 }, false)]) : []),
          ],
          [1],
        ),
      );
    }
    for (const sample of leg.errorSamples) lines.push(`  first ${sample.outcome}: ${sample.message}`);
    for (const fault of leg.faults) {
      const window = fault.errorWindow
        ? `errors from ${formatInstant(fault.errorWindow.fromMs)} to ${formatInstant(fault.errorWindow.toMs)} (${formatCount(fault.errorWindow.errors)} errors), recovered ${fault.recoveredAfterMs === undefined ? 'NOT seen' : `after ${formatMicros(fault.recoveredAfterMs * 1000)}`}`
        : 'no errors followed';
      const upAgain = fault.action === 'restart' && fault.doneAtMs !== undefined ? `, up again at ${formatInstant(fault.doneAtMs)}` : '';
      lines.push(`  fault ${fault.action} ${fault.target} at ${formatSeconds(fault.atMs)}${upAgain}: ${fault.firedAtMs === undefined ? 'never fired' : window}${fault.error ? ` (failed: ${fault.error})` : ''}`);
      if (fault.partition && fault.doneAtMs !== undefined) lines.push(`    ${describePartition(fault.partition, fault.doneAtMs)}`);
    }
  }
  if (result.baseline && result.overhead) {
    const overhead = result.overhead;
    lines.push(
      '',
      ...formatTable(
        ['corrected latency', 'p50', 'p90', 'p99', 'p99.9', 'max'],
        [
          [result.baseline.label, ...latencyCells(result.baseline.latency.corrected)],
          [result.run.label, ...latencyCells(result.run.latency.corrected)],
          ['overhead of the broker', ...[overhead.p50Us, overhead.p90Us, overhead.p99Us, overhead.p999Us, overhead.maxUs].map(formatSigned)],
        ],
        LATENCY_COLUMNS,
      ),
    );
  }
  if (result.max) {
    const max = result.max;
    lines.push('', `highest rate that held: ${max.highestRate === undefined ? 'none' : `${formatRate(max.highestRate)} (${max.highestStep})`}`);
    if (max.brokenStep) lines.push(`  ${max.brokenStep.name} broke (${max.limitedBy === 'generator' ? 'the generator was the limit' : 'a threshold failed'}): ${max.brokenStep.reasons.join('; ')}`);
    else lines.push('  every step held');
  }
  if (result.thresholds.length) {
    lines.push('', 'thresholds');
    for (const threshold of result.thresholds) lines.push(`  ${threshold.isPassed ? 'pass' : 'FAIL'}  ${threshold.threshold.padEnd(14)} measured ${threshold.measured}`);
  }
  lines.push('', `verdict: ${result.verdict} (exit ${result.exitCode})`);
  for (const [kind, path] of Object.entries(result.files)) lines.push(`${kind === 'out' ? 'results' : 'report'}: ${path}`);
  return lines;
}

/**
 * `--latency`: the corrected latency's percentile spectrum as wrk2 prints it — the headline
 * percentiles, then every step (value in ms, percentile, count at or below, 1/(1−p)).
 */
export function formatSpectrum(spectrum: LatencySpectrum): string[] {
  const ms = (us: number): string => (us / 1000).toFixed(3);
  const lines = ['  latency distribution (corrected, HdrHistogram)'];
  for (const point of spectrum.headline) lines.push(`  ${point.percentile.toFixed(3).padStart(8)}%  ${formatMicros(point.valueUs).padStart(10)}`);
  lines.push('  detailed percentile spectrum', `  ${'Value (ms)'.padStart(12)}  ${'Percentile'.padStart(12)}  ${'TotalCount'.padStart(10)}  1/(1-Percentile)`);
  for (const point of spectrum.detail) {
    const inverse = point.percentile >= 100 ? 'inf' : (1 / (1 - point.percentile / 100)).toFixed(2);
    lines.push(`  ${ms(point.valueUs).padStart(12)}  ${(point.percentile / 100).toFixed(6).padStart(12)}  ${String(point.totalCount).padStart(10)}  ${inverse.padStart(16)}`);
  }
  lines.push(
    `  #[Mean    = ${ms(spectrum.meanUs).padStart(12)}, StdDeviation   = ${ms(spectrum.stdDeviationUs).padStart(12)}]`,
    `  #[Max     = ${ms(spectrum.maxUs).padStart(12)}, Total count    = ${String(spectrum.count).padStart(12)}]`,
  );
  return lines;
}

function formatSigned(us: number): string {
  return `${us < 0 ? '−' : '+'}${formatMicros(Math.abs(us))}`;
}

/** `found cut off after 1.21 s (keepalive); healed at 10.00 s: 12 errors until the mocks had registered, back after 1.80 s` */
function describePartition(partition: NonNullable<FaultResult['partition']>, healedAtMs: number): string {
  const found = partition.lostAfterMs === undefined ? 'never found cut off' : `found cut off after ${formatMicros(partition.lostAfterMs * 1000)} (keepalive)`;
  const errors = partition.healErrorWindow ? `${formatCount(partition.healErrorWindow.errors)} errors until the mocks had registered again` : 'no errors';
  const back = partition.backAfterHealMs === undefined ? 'NOT back' : `back in rotation after ${formatMicros(partition.backAfterHealMs * 1000)}`;
  return `${found}; healed at ${formatInstant(healedAtMs)}: ${errors}, ${back}`;
}
