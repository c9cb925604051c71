import { formatCount, formatMicros } from '../cli/format.js';
import { COLUMN_ALIGN, formatMarkdownTable } from '../cli/table.js';
import type { BenchReport } from './run-bench.js';

const { LEFT, RIGHT } = COLUMN_ALIGN;

/** The bench report as the table printed by `rsb bench` and pasted into docs/benchmarks.md. */
export function formatBenchReport(report: BenchReport): string[] {
  const { machine, options } = report;
  const lines = [
    `machine: ${machine.cpus} × ${machine.cpuModel}, ${machine.memoryGiB} GiB, Node ${machine.node}, ${machine.platform}`,
    `method: request-response, ${options.payloadBytes}-byte payloads, closed loop, ${options.warmupMs / 1000} s warm-up + ${options.durationMs / 1000} s measured, ` +
      `median of ${options.runs} run(s); requester, broker and service each a process on 127.0.0.1`,
    '',
    ...formatMarkdownTable(
      ['set-up', 'in flight', 'requests/s', 'p50', 'p99', 'p99.9', 'broker CPU/request', 'errors'],
      report.rows.map((row) => [
        row.setup,
        String(row.inFlight),
        formatCount(row.requestsPerSecond),
        formatMicros(row.p50Us),
        formatMicros(row.p99Us),
        formatMicros(row.p999Us),
        row.brokerCpuUsPerRequest === undefined ? '—' : `${row.brokerCpuUsPerRequest.toFixed(2)} µs`,
        String(row.errors),
      ]),
      [LEFT, RIGHT, RIGHT, RIGHT, RIGHT, RIGHT, RIGHT, RIGHT],
    ),
  ];
  if (report.verdicts.length) {
    lines.push('', 'targets:');
    for (const verdict of report.verdicts) lines.push(`  ${verdict.isMet ? 'met    ' : 'MISSED '} ${verdict.target}: ${verdict.measured}`);
  }
  return lines;
}
