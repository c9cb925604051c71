import type { BrokerSnapshot, ClusterView, ConnectionSummary, ServiceSummary } from '../broker/index.js';
import { checkClusterName, requireClusterState, resolveStateDir } from '../client/index.js';
import { UsageError } from '../errors.js';
import type { StatusTarget } from './status-targets.js';

/** One broker as `rsb status` sees it through its admin API. */
export interface BrokerStatus {
  /** The admin address asked, host:port. */
  admin: string;
  isUp: boolean;
  /** Why it could not be read, when down. */
  error?: string;
  broker?: BrokerSnapshot & { adminPort: number };
  services?: ServiceSummary[];
  connections?: ConnectionSummary[];
  /** Requests routed per second since the previous reading (watch mode). */
  requestsPerSecond?: number;
  /** Requests rejected per second since the previous reading (watch mode). */
  rejectedPerSecond?: number;
  /** The cluster (of `rsb cluster up`) it was read as part of. */
  cluster?: string;
}

export interface StatusReport {
  takenAt: string;
  brokers: BrokerStatus[];
  /** Per cluster read, its figures summed over its brokers. */
  clusters?: ClusterTotals[];
}

/** A cluster's figures over the brokers that answered; a service or an instance registered on several brokers counts once. */
export interface ClusterTotals {
  name: string;
  brokers: number;
  brokersUp: number;
  connections: number;
  services: number;
  instances: number;
  requestsRouted: number;
  requestsRejected: number;
  openCircuits: number;
  /** Summed over its brokers, while watching. */
  requestsPerSecond?: number;
}

const ADMIN_TIMEOUT_MS = 2_000;

async function getJson<T>(admin: string, path: string): Promise<T> {
  const response = await fetch(`http://${admin}${path}`, { signal: AbortSignal.timeout(ADMIN_TIMEOUT_MS) });
  if (!response.ok) throw new Error(`${path} answered HTTP ${response.status}`);
  return (await response.json()) as T;
}

/** Reads one broker's admin API; a broker that does not answer is reported down, with why. */
export async function readBrokerStatus(admin: string): Promise<BrokerStatus> {
  try {
    const [broker, services, connections] = await Promise.all([
      getJson<BrokerStatus['broker']>(admin, '/api/broker'),
      getJson<{ services: ServiceSummary[] }>(admin, '/api/services'),
      getJson<{ connections: ConnectionSummary[] }>(admin, '/api/connections'),
    ]);
    return { admin, isUp: true, broker, services: services.services, connections: connections.connections };
  } catch (error) {
    // fetch says "fetch failed"; its cause says why (ECONNREFUSED, "bad port"...).
    const cause = (error as { cause?: { code?: string; message?: string } }).cause;
    const reason =
      cause?.code ?? cause?.message ?? (error instanceof Error ? (error.name === 'TimeoutError' ? `no answer within ${ADMIN_TIMEOUT_MS} ms` : error.message) : String(error));
    return { admin, isUp: false, error: reason };
  }
}

/** The cluster one broker knows (its /api/cluster), as admin addresses. */
export async function readClusterAdmins(admin: string): Promise<string[]> {
  const view = await getJson<ClusterView>(admin, '/api/cluster');
  return view.brokers.filter((member) => member.adminPort !== undefined).map((member) => `${member.host}:${member.adminPort}`);
}

/** The admin addresses of a cluster's brokers, from the state file of `rsb cluster up`. */
export function readClusterAdminsFromState(name: string, stateDir?: string): string[] {
  const state = requireClusterState(resolveStateDir(stateDir), checkClusterName(name));
  const admins = state.brokers.filter((broker) => broker.adminPort > 0).map((broker) => `${broker.host}:${broker.adminPort}`);
  if (admins.length === 0) throw new UsageError(`cluster ${name} records no admin port for its brokers`, 'Start it again with `rsb cluster up`.');
  return admins;
}

/** Reads every broker at once. */
export async function collectStatus(targets: readonly StatusTarget[], previous?: StatusReport): Promise<StatusReport> {
  const takenAt = new Date();
  const brokers = await Promise.all(
    targets.map(async ({ admin, cluster }) => ({ ...(await readBrokerStatus(admin)), ...(cluster !== undefined ? { cluster } : {}) })),
  );
  if (previous) {
    const seconds = (takenAt.getTime() - Date.parse(previous.takenAt)) / 1000;
    for (const status of brokers) {
      const before = previous.brokers.find((entry) => entry.admin === status.admin)?.broker;
      if (!status.broker || !before || seconds <= 0) continue;
      status.requestsPerSecond = Math.max(0, (status.broker.requestsRouted - before.requestsRouted) / seconds);
      status.rejectedPerSecond = Math.max(0, (status.broker.requestsRejected - before.requestsRejected) / seconds);
    }
  }
  const clusters = sumClusters(brokers);
  return { takenAt: takenAt.toISOString(), brokers, ...(clusters.length ? { clusters } : {}) };
}

/** Each cluster's totals, in the order its brokers were read. */
export function sumClusters(brokers: readonly BrokerStatus[]): ClusterTotals[] {
  const names = [...new Set(brokers.map((status) => status.cluster).filter((name): name is string => name !== undefined))];
  return names.map((name) => {
    const members = brokers.filter((status) => status.cluster === name);
    const up = members.filter((status) => status.isUp && status.broker);
    const services = new Set<string>();
    const instances = new Set<string>();
    for (const status of up) {
      for (const service of status.services ?? []) {
        services.add(service.key);
        for (const instance of service.instances) instances.add(`${service.key} ${instance.uuid}`);
      }
    }
    const sum = (read: (status: BrokerStatus) => number): number => up.reduce((total, status) => total + read(status), 0);
    const rates = up.filter((status) => status.requestsPerSecond !== undefined);
    return {
      name,
      brokers: members.length,
      brokersUp: up.length,
      connections: sum((status) => status.broker!.connections),
      services: services.size,
      instances: instances.size,
      requestsRouted: sum((status) => status.broker!.requestsRouted),
      requestsRejected: sum((status) => status.broker!.requestsRejected),
      openCircuits: sum((status) => status.broker!.openCircuits),
      ...(rates.length ? { requestsPerSecond: sum((status) => status.requestsPerSecond ?? 0) } : {}),
    };
  });
}
