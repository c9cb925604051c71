import type { ServiceSummary } from '../broker/index.js';
import { formatCount } from '../cli/output.js';
import type { BrokerStatus, StatusReport } from './collect-status.js';

/** `3723000` → `1h 2m 3s`. */
export function formatUptime(ms: number): string {
  const seconds = Math.floor(ms / 1000);
  const parts = [
    [Math.floor(seconds / 86_400), 'd'],
    [Math.floor(seconds / 3_600) % 24, 'h'],
    [Math.floor(seconds / 60) % 60, 'm'],
    [seconds % 60, 's'],
  ] as const;
  const first = parts.findIndex(([value]) => value > 0);
  return first < 0 ? '0s' : parts.slice(first).map(([value, unit]) => `${value}${unit}`).join(' ');
}

export function formatMicros(us: number): string {
  if (!Number.isFinite(us)) return '> 33 s';
  return us >= 1000 ? `${(us / 1000).toFixed(us >= 10_000 ? 0 : 1)} ms` : `${Math.round(us)} µs`;
}

/** The headline of one broker: up or down, and its figures. */
export function formatBrokerLine(status: BrokerStatus): string {
  if (!status.isUp || !status.broker) return `✗ admin ${status.admin}: down (${status.error ?? 'no answer'})`;
  const broker = status.broker;
  const rate = status.requestsPerSecond !== undefined ? `, ${formatCount(status.requestsPerSecond)} req/s` : '';
  const circuits = broker.openCircuits + broker.halfOpenCircuits > 0 ? `, circuits ${broker.openCircuits} open / ${broker.halfOpenCircuits} half-open` : '';
  return (
    `● ${broker.id} on ${broker.host}:${broker.port} (admin ${status.admin}), up ${formatUptime(broker.uptimeMs)}: ` +
    `${broker.connections} connections, ${broker.services} services (${broker.instances} instances)${rate}, ` +
    `${formatCount(broker.requestsRouted)} routed, ${formatCount(broker.requestsRejected)} rejected${circuits}`
  );
}

/** Rows of the services table: one per instance, the service's figures on its first row. */
export function serviceRows(services: readonly ServiceSummary[]): string[][] {
  const rows: string[][] = [];
  for (const service of services) {
    const requests = service.requests;
    const figures = [
      formatCount(requests.ok),
      formatCount(requests.error + requests.timeout + requests.disconnected),
      formatCount(requests.rejected),
      service.latency.count ? formatMicros(service.latency.p50Us) : '-',
      service.latency.count ? formatMicros(service.latency.p99Us) : '-',
    ];
    const limit = service.rateLimit ? `${formatCount(service.rateLimit.requestsPerSecond)}/s` : '-';
    if (service.instances.length === 0) rows.push([service.key, service.loadBalancing, limit, '(none)', '', '', '', '', ...figures]);
    service.instances.forEach((instance, index) => {
      rows.push([
        index === 0 ? service.key : '',
        index === 0 ? service.loadBalancing : '',
        index === 0 ? limit : '',
        instance.app,
        instance.address,
        formatCount(instance.inFlight),
        formatCount(instance.forwarded),
        instance.circuit?.state ?? '-',
        ...(index === 0 ? figures : ['', '', '', '', '']),
      ]);
    });
  }
  return rows;
}

export const SERVICE_COLUMNS = ['SERVICE', 'BALANCING', 'RATE LIMIT', 'INSTANCE', 'ADDRESS', 'IN FLIGHT', 'FORWARDED', 'CIRCUIT', 'OK', 'FAILED', 'REJECTED', 'P50', 'P99'];

/** Columns padded to their widest cell. */
export function formatTable(header: readonly string[], rows: readonly string[][]): string[] {
  const widths = header.map((title, column) => Math.max(title.length, ...rows.map((row) => (row[column] ?? '').length)));
  const line = (cells: readonly string[]) =>
    cells
      .map((cell, column) => cell.padEnd(widths[column]!))
      .join('  ')
      .trimEnd();
  return [line(header), ...rows.map(line)];
}

/** The whole report as plain lines: each broker's headline, then its services. */
export function formatStatusReport(report: StatusReport): string[] {
  const lines: string[] = [];
  for (const status of report.brokers) {
    if (lines.length) lines.push('');
    lines.push(formatBrokerLine(status));
    if (!status.services) continue;
    if (status.services.length === 0) lines.push('  no services registered');
    else lines.push(...formatTable(SERVICE_COLUMNS, serviceRows(status.services)).map((line) => `  ${line}`));
  }
  return lines;
}
