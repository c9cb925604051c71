import { formatCount, formatMicros } from '../cli/format.js';
import { COLUMN_ALIGN, formatMarkdownTable } from '../cli/table.js';
import { DEFAULT_PACING_MS } from '../load/index.js';
import type { BenchReport } from './run-bench.js';

const { LEFT, RIGHT } = COLUMN_ALIGN;

/** The bench report as the table printed by `rsb bench` and pasted into docs/benchmarks.md. */
export function formatBenchReport(report: BenchReport): string[] {
  const { machine, options } = report;
  const lines = [`machine: ${machine.cpus} × ${machine.cpuModel}, ${machine.memoryGiB} GiB, Node ${machine.node}, ${machine.platform}`];
  if (options.rate !== undefined) {
    lines.push(
      `method: request-response, ${options.payloadBytes}-byte payloads, open loop at ${formatCount(options.rate)} requests/s through rsb load's generator (one worker, one connection, ` +
        `${options.pacingMs === 0 ? 'each request at its own time' : `a batch per ${formatMicros((options.pacingMs ?? DEFAULT_PACING_MS) * 1000)}`}), ` +
        `${options.warmupMs / 1000} s warm-up ramp + ${options.durationMs / 1000} s measured, median of ${options.runs} run(s); latency from each request's intended send time; ` +
        `generator, broker and service each a process on 127.0.0.1`,
      '',
      ...formatRateTable(report),
    );
  } else {
    lines.push(
      `method: request-response, ${options.payloadBytes}-byte payloads, closed loop, ${options.warmupMs / 1000} s warm-up + ${options.durationMs / 1000} s measured, ` +
        `median of ${options.runs} run(s); requester, broker and service each a process on 127.0.0.1`,
      '',
      ...formatClosedLoopTable(report),
    );
  }
  for (const { reason } of report.leftOut) lines.push('', reason);
  if (report.verdicts.length) {
    lines.push('', 'targets:');
    for (const verdict of report.verdicts) lines.push(`  ${verdict.isMet ? 'met    ' : 'MISSED '} ${verdict.target}: ${verdict.measured}`);
  }
  return lines;
}

function formatCpu(us: number | undefined): string {
  return us === undefined ? '—' : `${us.toFixed(2)} µs`;
}

function formatRateTable(report: BenchReport): string[] {
  return formatMarkdownTable(
    ['set-up', 'rate', 'achieved', 'p50', 'p99', 'p99.9', 'lag p99', 'broker CPU/request', 'generator CPU/request', 'errors'],
    report.rateRows.map((row) => [
      row.setup,
      `${formatCount(row.rate)}/s`,
      `${formatCount(row.achievedRate)}/s`,
      formatMicros(row.p50Us),
      formatMicros(row.p99Us),
      formatMicros(row.p999Us),
      formatMicros(row.lagP99Us),
      formatCpu(row.brokerCpuUsPerRequest),
      formatCpu(row.generatorCpuUsPerRequest),
      String(row.errors),
    ]),
    [LEFT, RIGHT, RIGHT, RIGHT, RIGHT, RIGHT, RIGHT, RIGHT, RIGHT, RIGHT],
  );
}

function formatClosedLoopTable(report: BenchReport): string[] {
  return formatMarkdownTable(
    ['set-up', 'in flight', 'requests/s', 'p50', 'p99', 'p99.9', 'broker CPU/request', 'errors'],
    report.rows.map((row) => [
      row.setup,
      String(row.inFlight),
      formatCount(row.requestsPerSecond),
      formatMicros(row.p50Us),
      formatMicros(row.p99Us),
      formatMicros(row.p999Us),
      formatCpu(row.brokerCpuUsPerRequest),
      String(row.errors),
    ]),
    [LEFT, RIGHT, RIGHT, RIGHT, RIGHT, RIGHT, RIGHT, RIGHT],
  );
}
