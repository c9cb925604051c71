import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { ClusterNotFoundError, ClusterStateError, UsageError } from '../errors.js';
import type { BrokerListEntry } from '../protocol/index.js';

/*
 * The state file `rsb cluster up` writes is also how every client finds a named
 * cluster's brokers (`--cluster NAME`, the SDK's `cluster` option): its format and how to
 * read it live here, below both; writing and locking it stay with `rsb cluster`
 * (src/cluster/state.ts).
 */

/** Where cluster state lives when neither `--state-dir` nor RSB_STATE_DIR says otherwise: `.rsb/` in the working directory. */
export const DEFAULT_STATE_DIR_NAME = '.rsb';
export const STATE_DIR_ENV = 'RSB_STATE_DIR';
export const DEFAULT_CLUSTER_NAME = 'default';
export const STATE_FILE_VERSION = 1;

/** One broker of a cluster, as `rsb cluster up` started it. */
export interface ClusterBrokerRecord extends BrokerListEntry {
  /** The admin HTTP port of this broker (`rsb start --admin-port`): the one planned, or the free one it got when the base port is 0. */
  adminPort: number;
  pid: number;
  logFile: string;
  startedAt: string;
  /** Its host in a lab (`rsb cluster up --hosts`): the network namespace it runs in. */
  netns?: string;
  /** Its host's link to the lab's bridge (what a partition takes down). */
  link?: string;
}

/**
 * A lab of hosts (`rsb cluster up --hosts`): a bridge with a /24 of its own, one network
 * namespace per broker, and dnsmasq on the bridge answering the brokers' name.
 */
export interface LabRecord {
  /** Short, unique to the state directory and cluster name: every namespace and link of the lab starts with `rsb-TAG`. */
  tag: string;
  bridge: string;
  /** `10.213.N.0/24`. */
  subnet: string;
  /** The bridge's address: the machine's side of the lab, and the DNS server. */
  gateway: string;
  /** The name every broker's address answers to: `dns:NAME:PORT` reaches them all. */
  dnsName: string;
  /** `--dns-server` for the lab's names. */
  dnsServer: string;
  dnsmasqPid: number;
  dnsPidFile: string;
  dnsHostsFile: string;
}

/**
 * The state file of one cluster, `<state dir>/<name>.json`. It is also the brokers'
 * cluster file: each broker watches it and pushes its `name` and `brokers` to clients
 * (src/broker/cluster-membership.ts reads only those fields).
 */
export interface ClusterState {
  version: typeof STATE_FILE_VERSION;
  name: string;
  host: string;
  /** The first broker port; 0 when the brokers took free ports. */
  basePort: number;
  createdAt: string;
  updatedAt: string;
  brokers: ClusterBrokerRecord[];
  /**
   * A cluster started with `--tls`: its brokers listen on tcps (their `uris`), and clients
   * given `--cluster NAME` dial those and trust this CA (an absolute path) with no more flags.
   */
  tls?: ClusterTls;
  /** Present for a lab of hosts (`--hosts`). */
  lab?: LabRecord;
}

/** The throw-away certificates of a TLS cluster, as absolute paths of PEM files. */
export interface ClusterTls {
  /** The CA that signed every broker's certificate: what clients trust. */
  ca: string;
  /** The brokers' certificate and key (one for all: they run on the hosts it names). */
  brokerCert: string;
  brokerKey: string;
  /** A client certificate and key signed by the same CA, for brokers that ask for one. */
  clientCert?: string;
  clientKey?: string;
}

/** `--state-dir`, else RSB_STATE_DIR, else `.rsb` in the working directory; always absolute. */
export function resolveStateDir(explicit?: string): string {
  return path.resolve(explicit || process.env[STATE_DIR_ENV] || DEFAULT_STATE_DIR_NAME);
}

/** A cluster name is a file name: letters, digits, dot, dash and underscore. */
export function checkClusterName(name: string): string {
  if (!/^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$/.test(name)) {
    throw new UsageError(`cluster name ${JSON.stringify(name)} is not valid`, 'Use up to 64 letters, digits, dots, dashes and underscores, starting with a letter or digit.');
  }
  return name;
}

export function stateFilePath(stateDir: string, name: string): string {
  return path.join(stateDir, `${name}.json`);
}

/** The state of a cluster, or undefined when there is none. */
export function readClusterState(stateDir: string, name: string): ClusterState | undefined {
  const file = stateFilePath(stateDir, name);
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw new ClusterStateError(`cannot read cluster state ${file}: ${(error as Error).message}`, undefined, { cause: error });
  }
  return parseClusterState(text, file);
}

/** The state of a cluster that must exist: ClusterNotFoundError names the clusters there are otherwise. */
export function requireClusterState(stateDir: string, name: string): ClusterState {
  const state = readClusterState(stateDir, name);
  if (state) return state;
  const known = listClusterNames(stateDir);
  throw new ClusterNotFoundError(
    `no cluster named ${name} in ${stateDir}`,
    known.length > 0 ? `Known clusters: ${known.join(', ')}. Pick one with --name.` : 'Start one with `rsb cluster up`, or point --state-dir (RSB_STATE_DIR) where it was started.',
  );
}

function parseClusterState(text: string, file: string): ClusterState {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (error) {
    throw new ClusterStateError(`cluster state ${file} is not valid JSON`, 'Stop its brokers by pid if they run, then remove the file.', { cause: error });
  }
  const state = value as Partial<ClusterState> | null;
  if (typeof state !== 'object' || state === null || state.version !== STATE_FILE_VERSION || typeof state.name !== 'string' || !Array.isArray(state.brokers)) {
    throw new ClusterStateError(`${file} is not an rsb cluster state file (version ${STATE_FILE_VERSION})`);
  }
  for (const broker of state.brokers) {
    if (typeof broker?.id !== 'string' || !Number.isInteger(broker.pid) || !Number.isInteger(broker.port) || typeof broker.host !== 'string') {
      throw new ClusterStateError(`${file} holds a broker entry without id, host, port and pid`);
    }
  }
  return state as ClusterState;
}

/** Names of the clusters with a state file in `stateDir`, sorted. */
export function listClusterNames(stateDir: string): string[] {
  let entries: string[];
  try {
    entries = readdirSync(stateDir);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return [];
    throw new ClusterStateError(`cannot read state directory ${stateDir}: ${(error as Error).message}`, undefined, { cause: error });
  }
  return entries
    .filter((entry) => entry.endsWith('.json'))
    .map((entry) => entry.slice(0, -'.json'.length))
    .filter((name) => /^[A-Za-z0-9][A-Za-z0-9._-]*$/.test(name))
    .sort();
}
