import type { BrokerSnapshot } from '../broker/index.js';
import {
  openClusterAccess,
  PLAIN_CLUSTER_ACCESS,
  type ClusterAccess,
  checkClusterName,
  DEFAULT_CLUSTER_NAME,
  listClusterNames,
  queryBroker,
  readClusterState,
  requireClusterState,
  resolveStateDir,
  stateFilePath,
  type ClusterBrokerRecord,
  type LabRecord,
} from '../client/index.js';
import { RsbError } from '../errors.js';
import { BROKER_ROUTES } from '../protocol/index.js';
import { isBrokerProcess } from './broker-processes.js';

export const BROKER_STATE = {
  /** Its process runs and it answered `rsb.broker.health`. */
  UP: 'up',
  /** Its process runs but it did not answer. */
  UNRESPONSIVE: 'unresponsive',
  /** Its pid no longer runs, or now runs another program. */
  DOWN: 'down',
} as const;
export type BrokerState = (typeof BROKER_STATE)[keyof typeof BROKER_STATE];

/** What `rsb.broker.health` answers. */
export type BrokerHealth = BrokerSnapshot & { status: string };

export interface BrokerStatusReport extends ClusterBrokerRecord {
  state: BrokerState;
  /** Why it is not up, in words. */
  problem?: string;
  health?: BrokerHealth;
}

export interface ClusterStatusReport {
  name: string;
  stateFile: string;
  createdAt: string;
  up: number;
  brokers: BrokerStatusReport[];
  /** The lab of hosts the brokers run on (`--hosts`). */
  lab?: LabRecord;
}

/**
 * Asks one broker of a cluster how it is: by pid first (a lab host's broker by its lab's
 * marker), then over RSocket (a TLS cluster's on its tcps listener, trusting its CA).
 */
export async function probeBroker(
  broker: ClusterBrokerRecord,
  stateFile: string,
  timeoutMs = 2_000,
  cluster: { access?: ClusterAccess; lab?: LabRecord | undefined } = {},
): Promise<BrokerStatusReport> {
  const access = cluster.access ?? PLAIN_CLUSTER_ACCESS;
  if (!isBrokerProcess(broker.pid, broker.id, stateFile, cluster.lab)) {
    return { ...broker, state: BROKER_STATE.DOWN, problem: `pid ${broker.pid} no longer runs this broker` };
  }
  try {
    const health = await queryBroker<BrokerHealth>({ ...access.locate(broker), tls: access.tls, timeoutMs, appName: 'rsb-cluster-status' }, BROKER_ROUTES.HEALTH);
    return { ...broker, state: BROKER_STATE.UP, health };
  } catch (error) {
    if (!(error instanceof RsbError)) throw error;
    return { ...broker, state: BROKER_STATE.UNRESPONSIVE, problem: error.message };
  }
}

/** `rsb cluster status`: each broker up or down, with its live figures. */
export async function getClusterStatus(options: { name?: string; stateDir?: string; timeoutMs?: number } = {}): Promise<ClusterStatusReport> {
  const stateDir = resolveStateDir(options.stateDir);
  const name = checkClusterName(options.name ?? DEFAULT_CLUSTER_NAME);
  const state = requireClusterState(stateDir, name);
  const stateFile = stateFilePath(stateDir, name);
  const access = openClusterAccess(state);
  const brokers = await Promise.all(state.brokers.map((broker) => probeBroker(broker, stateFile, options.timeoutMs, { access, lab: state.lab })));
  return {
    name,
    stateFile,
    createdAt: state.createdAt,
    up: brokers.filter((broker) => broker.state === BROKER_STATE.UP).length,
    brokers,
    ...(state.lab ? { lab: state.lab } : {}),
  };
}

export interface ClusterSummary {
  name: string;
  stateFile: string;
  createdAt: string;
  brokers: number;
  /** Brokers whose process still runs (no network check). */
  running: number;
  addresses: string[];
}

/** `rsb cluster`: the clusters with state in `stateDir`, each with how many of its brokers still run. */
export function listClusters(options: { stateDir?: string } = {}): { stateDir: string; clusters: ClusterSummary[] } {
  const stateDir = resolveStateDir(options.stateDir);
  const clusters: ClusterSummary[] = [];
  for (const name of listClusterNames(stateDir)) {
    const state = readClusterState(stateDir, name);
    if (!state) continue;
    const stateFile = stateFilePath(stateDir, name);
    clusters.push({
      name,
      stateFile,
      createdAt: state.createdAt,
      brokers: state.brokers.length,
      running: state.brokers.filter((broker) => isBrokerProcess(broker.pid, broker.id, stateFile, state.lab)).length,
      addresses: state.brokers.map((broker) => `${broker.host}:${broker.port}`),
    });
  }
  return { stateDir, clusters };
}
