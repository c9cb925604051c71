import { formatCount, formatMicros, formatPercent } from '../cli/format.js';
import { formatRate, formatSeconds, formatSummary } from './format.js';
import type { LoadResultFile, LoadVerdict } from './results.js';

/**
 * `--report FILE.html`: one self-contained page (inline SVG and CSS, no script, nothing
 * fetched) with the rate and the latency over time, the latency percentile
 * distribution, the phases, faults and thresholds.
 */
export function renderHtmlReport(result: LoadResultFile): string {
  const legs = result.detail;
  const sections: string[] = [];
  for (const leg of legs) {
    const summary = leg.label === result.run.label ? result.run : result.baseline;
    const faults = summary?.faults ?? [];
    const markers = faults.filter((fault) => fault.firedAtMs !== undefined).map((fault) => ({ x: fault.firedAtMs! / 1000, label: `${fault.action} ${fault.target}` }));
    const t = (atMs: number): number => atMs / 1000;
    // The last sliver of a run (what was in flight when the schedule ended) would draw a nonsense rate.
    const timeline = leg.timeline.filter((row) => !row.isDrain);
    sections.push(`<h2>${escape(leg.label)}</h2>`);
    sections.push(
      lineChart({
        title: 'Requests per second',
        xLabel: 'seconds',
        yFormat: (value) => formatCount(value),
        markers,
        // The target last, so that it is drawn above the achieved rate it usually matches (dashed: the achieved line shows through).
        series: [
          { name: 'achieved (answers)', color: '#1f77b4', points: timeline.map((row) => [t(row.atMs), row.okRate]) },
          { name: 'errors', color: '#d62728', points: timeline.map((row) => [t(row.atMs), Object.values(row.errors).reduce((sum, count) => sum + (count ?? 0), 0) / row.seconds]) },
          { name: 'target', color: '#222', dashed: true, width: 2, points: timeline.map((row) => [t(row.atMs), row.targetRate]) },
        ],
      }),
    );
    sections.push(
      lineChart({
        title: 'Latency over time, corrected (from the intended send time)',
        xLabel: 'seconds',
        isLogY: true,
        yFormat: formatMicros,
        markers,
        series: [
          { name: 'p50', color: '#2ca02c', points: timeline.filter((row) => row.latency).map((row) => [t(row.atMs), row.latency!.p50Us]) },
          { name: 'p99', color: '#ff7f0e', points: timeline.filter((row) => row.latency).map((row) => [t(row.atMs), row.latency!.p99Us]) },
          { name: 'max', color: '#d62728', points: timeline.filter((row) => row.latency).map((row) => [t(row.atMs), row.latency!.maxUs]) },
          { name: 'schedule lag p99', color: '#9467bd', dashed: true, points: timeline.map((row) => [t(row.atMs), Math.max(1, row.lagP99Us)]) },
        ],
      }),
    );
    sections.push(
      lineChart({
        title: 'Resident memory of the load process',
        xLabel: 'seconds',
        yFormat: (value) => `${Math.round(value)} MB`,
        series: [{ name: 'rss', color: '#17becf', points: timeline.map((row) => [t(row.atMs), row.rssBytes / (1024 * 1024)]) }],
      }),
    );
  }
  const colors = ['#7f7f7f', '#1f77b4'];
  const distribution = lineChart({
    title: 'Latency by percentile, corrected',
    xLabel: 'percentile',
    isLogY: true,
    xScale: 'nines',
    yFormat: formatMicros,
    // Where the common percentiles fall: p50 sits a third of the way to 90 %, easy to miss on a scale of nines.
    guides: [50, 90, 99, 99.9, 99.99].map((percentile) => ({ x: nines(percentile), label: `p${percentile}` })),
    series: legs.map((leg, i) => ({
      name: leg.label,
      color: colors[(i + colors.length - legs.length) % colors.length]!,
      points: leg.histograms.distribution.filter((point) => point.percentile < 100).map((point) => [nines(point.percentile), Math.max(1, point.us)] as [number, number]),
    })),
  });
  const run = result.run;
  const phases = run.phases.length > 1 ? phaseTable(result) : '';
  const meta = result.meta;
  const host = meta.host;
  const stops = [result.baseline, result.run].flatMap((leg) => (leg?.stop ? [`${leg.label}: ${leg.stop.reason}`] : []));
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>rsb load ${escape(result.scenario)}</title>
<style>
body{font:14px/1.45 system-ui,sans-serif;margin:2em auto;max-width:1000px;color:#222;padding:0 1em}
h1{font-size:1.5em}h2{font-size:1.2em;margin-top:2em}
.verdict{display:inline-block;padding:.2em .6em;border-radius:4px;color:#fff;background:${VERDICT_COLOR[result.verdict]}}
.meta{color:#555;margin:.2em 0}.meta code{font-size:12px}
table{border-collapse:collapse;margin:1em 0}td,th{padding:.25em .7em;border-bottom:1px solid #ddd;text-align:right}td:first-child,th:first-child{text-align:left}
pre{background:#f6f6f6;padding:1em;overflow-x:auto;font-size:12px}
svg{display:block;margin:1em 0}svg text{font:11px system-ui,sans-serif;fill:#444}
</style></head><body>
<h1>rsb load ${escape(result.scenario)} <span class="verdict">${escape(result.verdict)}</span></h1>
${result.description ? `<p>${escape(result.description)}</p>` : ''}
<p class="meta">${escape(formatStartTime(meta.startedAt))} · rsb ${escape(meta.rsbVersion)} · ${escape(host.hostname)}: ${host.cpus} × ${escape(host.cpuModel)}, ${(host.memoryBytes / 2 ** 30).toFixed(1)} GiB memory, Node ${escape(host.node)}, ${escape(host.platform)} ${escape(host.arch)}</p>
<p class="meta">command <code>${escape(meta.command)}</code>${meta.scenarioFile ? ` · scenario file <code>${escape(meta.scenarioFile)}</code>` : ''}</p>
${stops.map((stop) => `<p><strong>${escape(stop)}</strong></p>`).join('\n')}
<table><tr><th></th><th>expected</th><th>sent</th><th>ok</th><th>errors</th><th>target rate</th><th>achieved</th><th>p50</th><th>p90</th><th>p99</th><th>p99.9</th><th>max</th></tr>
${[result.baseline, result.run]
  .filter((leg) => leg !== undefined)
  .map(
    (leg) =>
      `<tr><td>${escape(leg.label)}</td><td>${formatCount(leg.requests.expected)}</td><td>${formatCount(leg.requests.sent)}</td><td>${formatCount(leg.requests.ok)}</td><td>${formatCount(leg.requests.errors)}</td>` +
      `<td>${formatRate(leg.targetPerSecond)}</td><td>${formatRate(leg.achievedPerSecond)} (${formatPercent(leg.achievedPercent)}%)</td>` +
      (['p50Us', 'p90Us', 'p99Us', 'p999Us', 'maxUs'] as const).map((key) => `<td>${leg.latency.corrected ? formatMicros(leg.latency.corrected[key]) : '—'}</td>`).join('') +
      '</tr>',
  )
  .join('\n')}
</table>
<p class="meta">Latency is corrected: from each request's intended send time. Warm-up requests (not measured) are left out of every figure.</p>
${distribution}
${phases}
${sections.join('\n')}
<h2>Summary as printed</h2>
<pre>${escape(formatSummary(result).join('\n'))}</pre>
</body></html>
`;
}

function phaseTable(result: LoadResultFile): string {
  const rows = result.run.phases
    .map(
      (phase) =>
        `<tr><td>${escape(phase.name)}</td><td>${formatSeconds(phase.startMs)}</td><td>${formatRate(phase.targetPerSecond)}</td><td>${formatCount(phase.expected)}</td>` +
        `<td>${formatCount(phase.ok)}</td><td>${formatPercent(phase.deliveredPercent)}%</td><td>${formatCount(phase.errors)}</td><td>${phase.latency ? formatMicros(phase.latency.p99Us) : '—'}</td></tr>`,
    )
    .join('\n');
  return `<h2>Phases: delivered against expected</h2><table><tr><th>phase</th><th>starts</th><th>target</th><th>expected</th><th>ok</th><th>delivered</th><th>errors</th><th>p99</th></tr>\n${rows}</table>`;
}

const VERDICT_COLOR: Record<LoadVerdict, string> = { passed: '#2a7', 'thresholds-failed': '#c33', 'invalid-run': '#a72', interrupted: '#777' };

/** `2024-05-01 14:03:07 UTC`. */
function formatStartTime(iso: string): string {
  return `${iso.slice(0, 10)} ${iso.slice(11, 19)} UTC`;
}

/** 0 → 0, 90 → 1, 99 → 2, 99.9 → 3: the x axis of a percentile distribution. */
function nines(percentile: number): number {
  return -Math.log10(1 - percentile / 100);
}

interface Series {
  name: string;
  color: string;
  dashed?: boolean;
  /** Stroke width; 1.6 by default. */
  width?: number;
  points: [number, number][];
}

interface ChartSpec {
  title: string;
  xLabel: string;
  series: Series[];
  yFormat: (value: number) => string;
  isLogY?: boolean;
  xScale?: 'linear' | 'nines';
  /** Events on the x axis (faults), in red. */
  markers?: { x: number; label: string }[];
  /** Reference lines on the x axis, in grey, labelled at the foot of the plot. */
  guides?: { x: number; label: string }[];
}

const WIDTH = 960;
const HEIGHT = 280;
const PAD = { left: 70, right: 20, top: 30, bottom: 40 };

function lineChart(spec: ChartSpec): string {
  const points = spec.series.flatMap((series) => series.points);
  if (points.length === 0) return `<p>${escape(spec.title)}: no data</p>`;
  const xs = points.map(([x]) => x);
  const ys = points.map(([, y]) => y).filter((y) => Number.isFinite(y));
  const xMin = Math.min(...xs, 0);
  const xMax = Math.max(...xs, xMin + 1);
  const yLow = spec.isLogY ? Math.max(1, Math.min(...ys)) : 0;
  const yHigh = Math.max(...ys, yLow * 10, 1);
  const toY = spec.isLogY
    ? (y: number) => PAD.top + (1 - (Math.log10(Math.max(y, yLow)) - Math.log10(yLow)) / (Math.log10(yHigh) - Math.log10(yLow) || 1)) * (HEIGHT - PAD.top - PAD.bottom)
    : (y: number) => PAD.top + (1 - y / (yHigh * 1.05)) * (HEIGHT - PAD.top - PAD.bottom);
  const toX = (x: number) => PAD.left + ((x - xMin) / (xMax - xMin)) * (WIDTH - PAD.left - PAD.right);
  const yTicks = spec.isLogY ? logTicks(yLow, yHigh) : linearTicks(yHigh * 1.05);
  const xTicks = spec.xScale === 'nines' ? [0, 1, 2, 3, 4, 5].filter((tick) => tick <= xMax) : linearTicks(xMax, xMin);
  const xStep = xTicks.length > 1 ? xTicks[1]! - xTicks[0]! : 1;
  const xTickLabel = (tick: number) => (spec.xScale === 'nines' ? `${formatPercent(100 * (1 - 10 ** -tick))}%` : xStep >= 1 ? `${Math.round(tick)}` : tick.toFixed(1));
  const grid = [
    ...yTicks.map((tick) => `<line x1="${PAD.left}" x2="${WIDTH - PAD.right}" y1="${toY(tick)}" y2="${toY(tick)}" stroke="#eee"/><text x="${PAD.left - 6}" y="${toY(tick) + 4}" text-anchor="end">${escape(spec.yFormat(tick))}</text>`),
    ...xTicks.map((tick) => `<text x="${toX(tick)}" y="${HEIGHT - PAD.bottom + 16}" text-anchor="middle">${escape(xTickLabel(tick))}</text>`),
  ];
  const lines = spec.series
    .filter((series) => series.points.length > 0)
    .map((series) => {
      const path = series.points.map(([x, y], i) => `${i === 0 ? 'M' : 'L'}${toX(x).toFixed(1)},${toY(y).toFixed(1)}`).join('');
      return `<path d="${path}" fill="none" stroke="${series.color}" stroke-width="${series.width ?? 1.6}"${series.dashed ? ' stroke-dasharray="5,4"' : ''}><title>${escape(series.name)}</title></path>`;
    });
  const markers = (spec.markers ?? []).map(
    (marker) => `<line x1="${toX(marker.x)}" x2="${toX(marker.x)}" y1="${PAD.top}" y2="${HEIGHT - PAD.bottom}" stroke="#c33" stroke-dasharray="2,3"/><text x="${toX(marker.x) + 4}" y="${PAD.top + 10}" fill="#c33">${escape(marker.label)}</text>`,
  );
  const guides = (spec.guides ?? [])
    .filter((guide) => guide.x >= xMin && guide.x <= xMax)
    .map(
      (guide) =>
        `<line x1="${toX(guide.x)}" x2="${toX(guide.x)}" y1="${PAD.top}" y2="${HEIGHT - PAD.bottom}" stroke="#bbb" stroke-dasharray="1,3"/><text x="${toX(guide.x) + 3}" y="${HEIGHT - PAD.bottom - 6}" fill="#666">${escape(guide.label)}</text>`,
    );
  const legend = spec.series.map(
    (series, i) => `<rect x="${PAD.left + i * 170}" y="8" width="12" height="3" fill="${series.color}"/><text x="${PAD.left + i * 170 + 16}" y="13">${escape(series.name)}</text>`,
  );
  return `<figure><figcaption><strong>${escape(spec.title)}</strong></figcaption><svg viewBox="0 0 ${WIDTH} ${HEIGHT}" width="100%" role="img" aria-label="${escape(spec.title)}">
<rect x="${PAD.left}" y="${PAD.top}" width="${WIDTH - PAD.left - PAD.right}" height="${HEIGHT - PAD.top - PAD.bottom}" fill="none" stroke="#ccc"/>
${grid.join('\n')}
${guides.join('\n')}
${lines.join('\n')}
${markers.join('\n')}
${legend.join('\n')}
<text x="${(WIDTH + PAD.left) / 2}" y="${HEIGHT - 6}" text-anchor="middle">${escape(spec.xLabel)}</text>
</svg></figure>`;
}

function linearTicks(max: number, min = 0): number[] {
  const span = max - min;
  if (span <= 0) return [min];
  const step = 10 ** Math.floor(Math.log10(span / 4));
  const nice = [1, 2, 5, 10].map((factor) => factor * step).find((candidate) => span / candidate <= 6) ?? step * 10;
  const ticks: number[] = [];
  for (let tick = Math.ceil(min / nice) * nice; tick <= max; tick += nice) ticks.push(tick);
  return ticks;
}

function logTicks(low: number, high: number): number[] {
  const ticks: number[] = [];
  for (let tick = 10 ** Math.floor(Math.log10(low)); tick <= high * 1.0001; tick *= 10) if (tick >= low / 1.0001) ticks.push(tick);
  return ticks.length ? ticks : [low];
}

function escape(text: string): string {
  return text.replace(/[&<>"]/g, (char) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;' })[char]!);
}
