import type { BenchReport } from './run-bench.js';

/** The bench report as the table printed by `rsb bench` and pasted into the README. */
export function formatBenchReport(report: BenchReport): string[] {
  const { machine, options } = report;
  const lines = [
    `machine: ${machine.cpus} × ${machine.cpuModel}, ${machine.memoryGiB} GiB, Node ${machine.node}, ${machine.platform}`,
    `method: request-response, ${options.payloadBytes}-byte payloads, closed loop, ${options.warmupMs / 1000} s warm-up + ${options.durationMs / 1000} s measured, ` +
      `median of ${options.runs} run(s); requester, broker and service each a process on 127.0.0.1`,
    '',
    '| set-up | in flight | requests/s | p50 | p99 | p99.9 | broker CPU/request | errors |',
    '| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: |',
  ];
  for (const row of report.rows) {
    lines.push(
      `| ${row.setup} | ${row.inFlight} | ${Math.round(row.requestsPerSecond).toLocaleString('en-US')} | ${formatMicros(row.p50Us)} | ` +
        `${formatMicros(row.p99Us)} | ${formatMicros(row.p999Us)} | ${row.brokerCpuUsPerRequest === undefined ? '—' : `${row.brokerCpuUsPerRequest.toFixed(2)} µs`} | ${row.errors} |`,
    );
  }
  if (report.verdicts.length) {
    lines.push('', 'targets:');
    for (const verdict of report.verdicts) lines.push(`  ${verdict.isMet ? 'met    ' : 'MISSED '} ${verdict.target}: ${verdict.measured}`);
  }
  return lines;
}

function formatMicros(us: number): string {
  return us >= 1000 ? `${(us / 1000).toFixed(2)} ms` : `${Math.round(us)} µs`;
}
