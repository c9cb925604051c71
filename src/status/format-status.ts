import type { ServiceSummary } from '../broker/index.js';
import { formatCount, formatCountOf, formatMicros, PRECISION } from '../cli/format.js';
import { formatTable } from '../cli/table.js';
import type { StatusTableProps } from '../ui/index.js';
import type { BrokerStatus, ClusterTotals, StatusReport } from './collect-status.js';

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

/** A latency bucket's upper bound (a power of two of µs); the last bucket, past 2^25 µs (33.5 s), has none. */
function formatBucketBound(us: number): string {
  return Number.isFinite(us) ? formatMicros(us, PRECISION.COARSE) : '> 33 s';
}

/** The headline of one broker (up or down), then its figures. */
export function formatBrokerLines(status: BrokerStatus): string[] {
  if (!status.isUp || !status.broker) return [`✗ admin ${status.admin}: down (${status.error ?? 'no answer'})`];
  const broker = status.broker;
  const rate = status.requestsPerSecond !== undefined ? `, ${formatCount(status.requestsPerSecond)} req/s` : '';
  const circuits =
    (broker.openCircuits > 0 ? `, ${formatCountOf(broker.openCircuits, 'open circuit')}` : '') +
    (broker.halfOpenCircuits > 0 ? `, ${broker.halfOpenCircuits} half-open` : '');
  return [
    `● ${broker.id} on ${broker.host}:${broker.port} (admin ${status.admin}), up ${formatUptime(broker.uptimeMs)}`,
    `  ${formatCountOf(broker.connections, 'connection')}, ${formatCountOf(broker.services, 'service')} (${formatCountOf(broker.instances, 'instance')})${rate}, ` +
      `${formatCount(broker.requestsRouted)} routed, ${formatCount(broker.requestsRejected)} rejected${circuits}`,
  ];
}

/** One line for a broker, as `--watch` prints it without a terminal. */
export function formatBrokerLine(status: BrokerStatus): string {
  return formatBrokerLines(status)
    .map((line) => line.trim())
    .join(': ');
}

export const INSTANCE_COLUMNS = ['INSTANCE', 'ADDRESS', 'WEIGHT', 'IN FLIGHT', 'FORWARDED', 'CIRCUIT'];

/** A service's policy, its traffic, then a table of its instances. */
export function formatServiceLines(service: ServiceSummary): string[] {
  const requests = service.requests;
  const limit = service.rateLimit ? `, rate limit ${formatCount(service.rateLimit.requestsPerSecond)}/s burst ${formatCount(service.rateLimit.burst)}` : '';
  const latency = service.latency.count ? `; p50 ≤ ${formatBucketBound(service.latency.p50Us)}, p99 ≤ ${formatBucketBound(service.latency.p99Us)}` : '';
  const headline = [
    `${service.key}: ${service.loadBalancing}${limit}`,
    `  ok ${formatCount(requests.ok)}, failed ${formatCount(requests.error + requests.timeout + requests.disconnected)}, rejected ${formatCount(requests.rejected)}${latency}`,
  ];
  if (service.instances.length === 0) return [...headline, '  no instance'];
  const rows = service.instances.map((instance) => [
    instance.app,
    instance.address,
    String(instance.weight),
    formatCount(instance.inFlight),
    formatCount(instance.forwarded),
    instance.circuit ? `${instance.circuit.state}${instance.circuit.state === 'closed' ? '' : ` (${instance.circuit.consecutiveFailures} failures in a row)`}` : '-',
  ]);
  return [...headline, ...formatTable(INSTANCE_COLUMNS, rows).map((line) => `  ${line}`)];
}

/**
 * A cluster's total line: `cluster default: 3 of 3 brokers up, 9 connections, 1 service,
 * 1 instance, 3,000 routed, 0 rejected` — an instance registered on every broker counts once.
 */
export function formatClusterTotals(totals: ClusterTotals): string {
  const rate = totals.requestsPerSecond !== undefined ? `, ${formatCount(totals.requestsPerSecond)} req/s` : '';
  const circuits = totals.openCircuits > 0 ? `, ${formatCountOf(totals.openCircuits, 'open circuit')}` : '';
  return (
    `cluster ${totals.name}: ${totals.brokersUp} of ${formatCountOf(totals.brokers, 'broker')} up, ${formatCountOf(totals.connections, 'connection')}, ` +
    `${formatCountOf(totals.services, 'service')}, ${formatCountOf(totals.instances, 'instance')}${rate}, ` +
    `${formatCount(totals.requestsRouted)} routed, ${formatCount(totals.requestsRejected)} rejected${circuits}`
  );
}

/** The whole report as plain lines: each broker's headline, then its services; after the last broker of a cluster, the cluster's total. */
export function formatStatusReport(report: StatusReport): string[] {
  const lines: string[] = [];
  report.brokers.forEach((status, index) => {
    if (lines.length) lines.push('');
    lines.push(...formatBrokerLines(status));
    if (status.services?.length === 0) lines.push('  no services registered');
    for (const service of status.services ?? []) lines.push(...formatServiceLines(service).map((line) => `  ${line}`));
    const totals = totalsAfter(report, index);
    if (totals) lines.push('', formatClusterTotals(totals));
  });
  return lines;
}

/** The totals of the cluster whose last broker is `report.brokers[index]`, if it is one. */
function totalsAfter(report: StatusReport, index: number): ClusterTotals | undefined {
  const name = report.brokers[index]!.cluster;
  if (name === undefined || report.brokers[index + 1]?.cluster === name) return undefined;
  return report.clusters?.find((totals) => totals.name === name);
}

/** What the live table of `rsb status --watch` draws: the same lines as the plain report. */
export function toStatusTableProps(report: StatusReport): StatusTableProps {
  return {
    time: report.takenAt.slice(11, 19),
    brokers: report.brokers.map((status) => ({
      key: status.admin,
      isUp: status.isUp,
      lines: formatBrokerLines(status),
      services: (status.services ?? []).map((service) => ({ key: service.key, lines: formatServiceLines(service) })),
      hasNoServices: status.isUp && status.services?.length === 0,
    })),
    totals: (report.clusters ?? []).map(formatClusterTotals),
  };
}
