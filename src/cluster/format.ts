import { formatCount, formatElapsed } from '../cli/format.js';
import type { ClusterBrokerRecord } from '../client/index.js';
import { formatTable } from '../cli/table.js';
import type { ClusterStatusReport, ClusterSummary } from './cluster-status.js';
import type { StartClusterResult } from './start-cluster.js';
import type { StopClusterResult } from './stop-cluster.js';

/** What `rsb cluster up` prints: the brokers, then what it changed. */
export function formatStartResult(result: StartClusterResult): string[] {
  const { state } = result;
  const changes = [
    result.started.length ? `started ${result.started.join(', ')}` : '',
    result.restarted.length ? `restarted ${result.restarted.join(', ')}` : '',
    result.kept.length ? `kept ${result.kept.join(', ')} (already running)` : '',
    result.stopped.length ? `stopped ${result.stopped.join(', ')}` : '',
  ].filter(Boolean);
  return [
    `cluster ${state.name}: ${state.brokers.length} broker${state.brokers.length === 1 ? '' : 's'} up (${changes.join('; ')})`,
    ...formatBrokerRecords(state.brokers),
    `state: ${result.stateFile}`,
    ...(state.tls ? [`tls: brokers on tcps only; CA ${state.tls.ca} (clients given --cluster ${state.name} trust it)`] : []),
    `use it: rsb mock svc --cluster ${state.name} · rsb call svc.echo --cluster ${state.name} · rsb cluster status --name ${state.name} · rsb cluster down --name ${state.name}`,
  ];
}

/** host:port for a broker on plain TCP; the URI of its first listener for one without (a TLS cluster's). */
function describeBrokerAddress(broker: ClusterBrokerRecord): string {
  const isTcp = broker.uris === undefined || broker.uris.some((uri) => uri.startsWith('tcp://'));
  return isTcp ? `${broker.host}:${broker.port}` : broker.uris![0]!;
}

function formatBrokerRecords(brokers: readonly ClusterBrokerRecord[]): string[] {
  return formatTable(
    ['broker', 'address', 'admin port', 'pid', 'log'],
    brokers.map((broker) => [broker.id, describeBrokerAddress(broker), broker.adminPort ? String(broker.adminPort) : '-', String(broker.pid), broker.logFile]),
    [2, 3],
  ).map((line) => `  ${line}`);
}

/** What `rsb cluster status` prints: one row per broker, live figures where it answered. */
export function formatClusterStatus(report: ClusterStatusReport): string[] {
  const rows = report.brokers.map((broker) => {
    const health = broker.health;
    return [
      broker.id,
      describeBrokerAddress(broker),
      String(broker.pid),
      broker.state,
      // The status query's own connection is not a client.
      health ? formatCount(Math.max(0, health.connections - 1)) : '-',
      health ? `${formatCount(health.services)} (${formatCount(health.instances)})` : '-',
      health ? formatCount(health.requestsRouted) : '-',
      health ? formatElapsed(health.uptimeMs) : '-',
    ];
  });
  const lines = [`cluster ${report.name}: ${report.up}/${report.brokers.length} brokers up`];
  lines.push(...formatTable(['broker', 'address', 'pid', 'state', 'clients', 'services (instances)', 'routed', 'uptime'], rows, [2, 4, 6, 7]).map((line) => `  ${line}`));
  for (const broker of report.brokers) if (broker.problem) lines.push(`  ${broker.id} ${broker.state}: ${broker.problem} (log: ${broker.logFile})`);
  return lines;
}

/** What `rsb cluster down` prints. */
export function formatStopResult(result: StopClusterResult): string[] {
  if (!result.wasKnown) return [`cluster ${result.name}: nothing to stop (no state)`];
  const lines = [`cluster ${result.name}: stopped, state removed`];
  for (const broker of result.brokers) {
    const how = broker.outcome === 'stopped' ? 'stopped (SIGTERM)' : broker.outcome === 'killed' ? 'killed (SIGKILL after the grace period)' : 'was not running';
    lines.push(`  ${broker.id} pid ${broker.pid}: ${how}`);
  }
  return lines;
}

/** What `rsb cluster` alone prints. */
export function formatClusterList(stateDir: string, clusters: readonly ClusterSummary[]): string[] {
  if (clusters.length === 0) return [`no clusters in ${stateDir}: start one with \`rsb cluster up\``];
  return [
    `clusters in ${stateDir}:`,
    ...formatTable(
      ['name', 'running', 'brokers', 'since'],
      clusters.map((cluster) => [cluster.name, `${cluster.running}/${cluster.brokers}`, cluster.addresses.join(' '), cluster.createdAt]),
    ).map((line) => `  ${line}`),
  ];
}
