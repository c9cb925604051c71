import { readFileSync } from 'node:fs';
import { UsageError } from '../errors.js';
import { TRANSPORT } from '../protocol/index.js';
import type { TlsClientOptions } from '../transport/index.js';
import { resolveBrokerAddresses, type BrokerAddress } from './broker-address.js';
import { selectListedAddress } from './broker-list.js';
import { formatBrokerName, isBrokerName, isBrokerNameText, parseBrokerName, parseDnsServer, type BrokerSource } from './broker-name.js';
import { checkClusterName, readClusterState, requireClusterState, resolveStateDir, type ClusterBrokerRecord, type ClusterState } from './cluster-state.js';

/** Which brokers a command or a program uses: a named cluster, or brokers by address. */
export interface BrokerSelection {
  /** `--cluster NAME`: every broker in that cluster's state file. */
  cluster?: string | undefined;
  /**
   * `--broker HOST:PORT` (repeatable): where to start; the rest of the cluster is learned
   * from the pushed list. `dns:NAME:PORT` stands for every broker behind the name.
   */
  brokers?: readonly (string | BrokerSource)[] | undefined;
  stateDir?: string | undefined;
  /** `--dns-server HOST[:PORT]`: the resolver of the `dns:` names given; the system's otherwise. */
  dnsServer?: string | undefined;
}

/**
 * What `--cluster` and `--broker` mean for every client command (mock, call, services,
 * load, gateway, proxy) and the SDK: the brokers of a named cluster from its state file,
 * or the addresses given — and with neither, the one broker `rsb start` runs by default.
 */
export function resolveBrokerSources(selection: BrokerSelection): BrokerSource[] {
  const brokers = selection.brokers ?? [];
  if (selection.cluster !== undefined && brokers.length > 0) {
    throw new UsageError('give --cluster or --broker, not both', 'With --broker, the rest of a cluster is learned from the list its brokers push.');
  }
  if (selection.cluster !== undefined) {
    const state = readSelectedCluster(selection.cluster, selection.stateDir);
    return state.brokers.map((broker) => locateClusterBroker(state, broker));
  }
  const dnsServer = selection.dnsServer === undefined ? undefined : parseDnsServer(selection.dnsServer);
  const isName = (item: string | BrokerSource): boolean => (typeof item === 'string' ? isBrokerNameText(item) : isBrokerName(item));
  const names = brokers.filter(isName).map((item) => {
    const name = typeof item === 'string' ? parseBrokerName(item, '--broker') : item;
    return isBrokerName(name) && dnsServer !== undefined && name.dnsServer === undefined ? { ...name, dnsServer } : name;
  });
  const addresses = brokers.filter((item) => !isName(item)) as (string | BrokerAddress)[];
  // Names alone replace the default broker; with addresses, both are used.
  return names.length > 0 && addresses.length === 0 ? names : [...resolveBrokerAddresses(addresses), ...names];
}

/** resolveBrokerSources for a caller that needs addresses now (no `dns:` name to follow): a name given is a UsageError. */
export function resolveBrokers(selection: BrokerSelection): BrokerAddress[] {
  const sources = resolveBrokerSources(selection);
  const name = sources.find(isBrokerName);
  if (name) throw new UsageError(`${formatBrokerName(name)} is a DNS name, and this needs broker addresses`, 'Give --broker HOST:PORT.');
  return sources as BrokerAddress[];
}

/** Where a client dials one broker of a cluster: a TLS cluster on its tcps listener, another on TCP. */
export function locateClusterBroker(state: Pick<ClusterState, 'tls'>, broker: ClusterBrokerRecord): BrokerAddress {
  const transport = state.tls ? TRANSPORT.TCPS : TRANSPORT.TCP;
  return selectListedAddress(broker, transport) ?? { id: broker.id, host: broker.host, port: broker.port };
}

/** How rsb's own tools reach a cluster's brokers: where each is dialed, and what a TLS cluster's brokers are trusted with. */
export interface ClusterAccess {
  locate(broker: ClusterBrokerRecord): BrokerAddress;
  /** The CA and client certificate of a TLS cluster; undefined for a plain one. */
  readonly tls: TlsClientOptions | undefined;
}

/** A cluster's access, its TLS files read once. */
export function openClusterAccess(state: Pick<ClusterState, 'tls'>): ClusterAccess {
  const tls = state.tls ? readTlsClientFiles({ ca: state.tls.ca, cert: state.tls.clientCert, key: state.tls.clientKey }) : undefined;
  return { locate: (broker) => locateClusterBroker(state, broker), tls };
}

/** Plain TCP, no TLS: a cluster without `--tls`. */
export const PLAIN_CLUSTER_ACCESS: ClusterAccess = openClusterAccess({});

function readSelectedCluster(cluster: string, stateDir: string | undefined): ClusterState {
  return requireClusterState(resolveStateDir(stateDir), checkClusterName(cluster));
}

/** The TLS files a client is given (`--tls-ca`, `--tls-cert`, `--tls-key`, `--insecure-skip-tls-verify`), as paths. */
export interface TlsClientFiles {
  ca?: string | undefined;
  cert?: string | undefined;
  key?: string | undefined;
  isVerificationSkipped?: boolean | undefined;
}

/**
 * What a client trusts and shows on TLS: the files given, over what a TLS cluster's state
 * names (its CA, its client certificate) when the brokers are `--cluster NAME`; undefined
 * when there is nothing to say (Node's trusted CAs, no client certificate). Throws
 * UsageError for a file that cannot be read or a certificate without its key.
 */
export function resolveBrokerTls(selection: Pick<BrokerSelection, 'cluster' | 'stateDir'>, given: TlsClientFiles = {}): TlsClientOptions | undefined {
  return readTlsClientFiles(resolveBrokerTlsFiles(selection, given));
}

/**
 * `resolveBrokerTls` as paths, not yet read: for what passes them on to worker threads. A
 * cluster without a state file has no TLS to add: finding its brokers says it is missing.
 */
export function resolveBrokerTlsFiles(selection: Pick<BrokerSelection, 'cluster' | 'stateDir'>, given: TlsClientFiles = {}): TlsClientFiles | undefined {
  const clusterTls = selection.cluster !== undefined ? readClusterState(resolveStateDir(selection.stateDir), checkClusterName(selection.cluster))?.tls : undefined;
  if ((given.cert === undefined) !== (given.key === undefined)) {
    throw new UsageError('--tls-cert and --tls-key go together', 'Give the client certificate and its private key, both PEM files.');
  }
  const files = {
    ca: given.ca ?? clusterTls?.ca,
    cert: given.cert ?? clusterTls?.clientCert,
    key: given.key ?? clusterTls?.clientKey,
    isVerificationSkipped: given.isVerificationSkipped === true,
  };
  return files.ca === undefined && files.cert === undefined && !files.isVerificationSkipped ? undefined : files;
}

/** Reads the PEM files named; undefined for undefined. Throws UsageError for a file that cannot be read. */
export function readTlsClientFiles(files: TlsClientFiles | undefined): TlsClientOptions | undefined {
  if (files === undefined) return undefined;
  return {
    ...(files.ca !== undefined ? { ca: readPemFile(files.ca, '--tls-ca') } : {}),
    ...(files.cert !== undefined && files.key !== undefined ? { cert: readPemFile(files.cert, '--tls-cert'), key: readPemFile(files.key, '--tls-key') } : {}),
    ...(files.isVerificationSkipped ? { isVerificationSkipped: true } : {}),
  };
}

/** A PEM file's bytes; a file that cannot be read is a UsageError naming the flag (`what`) and the path. */
export function readPemFile(file: string, what: string): Buffer {
  try {
    return readFileSync(file);
  } catch (error) {
    throw new UsageError(`cannot read ${what} file ${file}: ${(error as NodeJS.ErrnoException).code ?? String(error)}`, undefined, { cause: error });
  }
}
