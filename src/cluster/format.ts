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
  const lab = state.lab;
  return [
    `cluster ${state.name}: ${state.brokers.length} broker${state.brokers.length === 1 ? '' : 's'} up (${changes.join('; ')})`,
    ...formatBrokerRecords(state.brokers),
    ...(lab ? [`lab: bridge ${lab.bridge} with ${lab.subnet} (this machine is ${lab.gateway}), DNS ${lab.dnsName} on ${lab.dnsServer} (dnsmasq pid ${lab.dnsmasqPid})`] : []),
    `state: ${result.stateFile}`,
    ...(state.tls ? [`tls: brokers on tcps only; CA ${state.tls.ca} (clients given --cluster ${state.name} trust it)`] : []),
    lab
      ? `use it: rsb mock svc --broker ${describeLabName(state.tls !== undefined, lab.dnsName, state.brokers[0]?.port ?? 9999)} --dns-server ${lab.dnsServer}${state.tls ? ` --tls-ca ${state.tls.ca}` : ''} · rsb call svc.echo --cluster ${state.name} · rsb cluster partition ${state.brokers[0]?.id ?? ''} --for 5s --name ${state.name} · rsb cluster down --name ${state.name}`
      : `use it: rsb mock svc --cluster ${state.name} · rsb call svc.echo --cluster ${state.name} · rsb cluster status --name ${state.name} · rsb cluster down --name ${state.name}`,
  ];
}

/** The lab's name as a client gives it: every broker behind it, on tcps for a TLS lab. */
function describeLabName(isTls: boolean, dnsName: string, port: number): string {
  return isTls ? `dns+tcps://${dnsName}:${port}` : `dns:${dnsName}:${port}`;
}

/** host:port for a broker on plain TCP; the URI of its first listener for one without (a TLS cluster's). */
function describeBrokerAddress(broker: ClusterBrokerRecord): string {
  const isTcp = broker.uris === undefined || broker.uris.some((uri) => uri.startsWith('tcp://'));
  return isTcp ? `${broker.host}:${broker.port}` : broker.uris![0]!;
}

function formatBrokerRecords(brokers: readonly ClusterBrokerRecord[]): string[] {
  const hasHosts = brokers.some((broker) => broker.netns !== undefined);
  return formatTable(
    ['broker', ...(hasHosts ? ['host'] : []), 'address', 'admin port', 'pid', 'log'],
    brokers.map((broker) => [
      broker.id,
      ...(hasHosts ? [broker.netns ?? '-'] : []),
      describeBrokerAddress(broker),
      broker.adminPort ? String(broker.adminPort) : '-',
      String(broker.pid),
      broker.logFile,
    ]),
    hasHosts ? [3, 4] : [2, 3],
  ).map((line) => `  ${line}`);
}

/** What `rsb cluster status` prints: one row per broker, live figures where it answered. */
export function formatClusterStatus(report: ClusterStatusReport): string[] {
  const hasHosts = report.lab !== undefined;
  const rows = report.brokers.map((broker) => {
    const health = broker.health;
    return [
      broker.id,
      ...(hasHosts ? [broker.netns ?? '-'] : []),
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
  const lines = [`cluster ${report.name}: ${report.up}/${report.brokers.length} brokers up${report.lab ? ` on hosts of lab ${report.lab.bridge} (${report.lab.subnet}, DNS ${report.lab.dnsName} on ${report.lab.dnsServer})` : ''}`];
  const headers = ['broker', ...(hasHosts ? ['host'] : []), 'address', 'pid', 'state', 'clients', 'services (instances)', 'routed', 'uptime'];
  lines.push(...formatTable(headers, rows, hasHosts ? [3, 5, 7, 8] : [2, 4, 6, 7]).map((line) => `  ${line}`));
  for (const broker of report.brokers) if (broker.problem) lines.push(`  ${broker.id} ${broker.state}: ${broker.problem} (log: ${broker.logFile})`);
  return lines;
}

/** What `rsb cluster down` prints. */
export function formatStopResult(result: StopClusterResult): string[] {
  if (!result.wasKnown) return [`cluster ${result.name}: nothing to stop (no state)`];
  const lines = [`cluster ${result.name}: stopped, state removed`];
  if (result.lab) lines.push(`  lab ${result.lab.bridge} (${result.lab.subnet}): ${result.lab.hosts} host namespaces, their links, the bridge and dnsmasq removed; nothing of it left`);
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
