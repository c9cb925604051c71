import path from 'node:path';
import { DEFAULT_BROKER_OPTIONS } from '../broker/index.js';
import { RSB_BIN } from '../cli/paths.js';
import {
  BrokerQueryClient,
  checkClusterName,
  DEFAULT_CLUSTER_NAME,
  readClusterState,
  resolveStateDir,
  STATE_FILE_VERSION,
  stateFilePath,
  type ClusterBrokerRecord,
  type ClusterState,
  type ClusterTls,
  openClusterAccess,
} from '../client/index.js';
import { ClusterStartError, RsbError, UsageError } from '../errors.js';
import { BROKER_ROUTES, DEFAULT_BROKER_PORT, ProtocolError, readBrokerList, trimPlainUris, type BrokerListEntry, type CloudEvent } from '../protocol/index.js';
import { isBrokerProcess, launchBroker, stopBrokerProcess, type LaunchedBroker } from './broker-processes.js';
import { createDevelopmentCertificates, LOOPBACK_HOSTS } from './development-certificates.js';
import { bringUpLab } from './lab-cluster.js';
import { lockCluster, logDirPath, writeClusterState } from './state.js';

export const DEFAULT_CLUSTER_SIZE = 3;
/** More brokers than this on one machine is a mistake, not a cluster. */
export const MAX_CLUSTER_SIZE = 64;
const DEFAULT_START_TIMEOUT_MS = 15_000;
/** Time given to brokers stopped because their cluster shrank, or because another broker failed to start. */
const STOP_GRACE_MS = 5_000;

export interface StartClusterOptions {
  /** Default `default`. */
  name?: string;
  /** Brokers wanted. Default: 3 for a new cluster, its current size for an existing one. */
  count?: number;
  /** Default 127.0.0.1; an existing cluster keeps its own. */
  host?: string;
  /** Ports base, base+1, ...; 0 asks for free ports. Default 9999; an existing cluster keeps its own. */
  basePort?: number;
  /** Default: RSB_STATE_DIR, else `.rsb` in the working directory. */
  stateDir?: string;
  /** How long each broker may take to listen and load the cluster list. */
  startTimeoutMs?: number;
  /**
   * A new cluster on TLS: a throw-away CA and broker certificate are made (openssl), the
   * brokers listen on tcps only, and the state records the CA so that clients given
   * `--cluster NAME` trust it with no more flags. An existing cluster keeps what it has.
   */
  tls?: boolean;
  /** The `bin/run.js` to start brokers with; default this package's. */
  rsbBin?: string;
  onProgress?: (line: string) => void;
  /**
   * Abort (on Ctrl-C, say) while brokers are starting: the brokers this call started are
   * stopped and it fails, so that nothing runs unrecorded.
   */
  signal?: AbortSignal;
  /** Each broker on a host of its own: a network namespace on a bridge, found through the lab's DNS (Linux, root). */
  hosts?: boolean;
}

export interface StartClusterResult {
  state: ClusterState;
  stateFile: string;
  /** Brokers started by this call for the first time. */
  started: string[];
  /** Brokers that were recorded but not running, started again on their recorded port. */
  restarted: string[];
  /** Brokers that were running already and were left alone. */
  kept: string[];
  /** Brokers stopped because the cluster was asked to shrink. */
  stopped: string[];
}

interface Planned {
  id: string;
  port: number;
  adminPort: number;
  isRestart: boolean;
}

function isPlanned(slot: ClusterBrokerRecord | Planned): slot is Planned {
  return 'isRestart' in slot;
}

/**
 * `rsb cluster up`, as a library call (the load command starts its own cluster with it).
 * Brings the named cluster to `count` running brokers: a new cluster gets them all; for
 * an existing one, running brokers are kept, recorded ones that died are started again on
 * their port, missing ones are added, extra ones stopped. Each broker is a detached
 * `rsb start` process watching the state file as its cluster file, so every change of the
 * list reaches the brokers and from them every client. Returns once each broker listens
 * and serves the new list. If a broker fails to start, those this call started are
 * stopped again and ClusterStartError quotes the failing broker's log.
 */
export async function startCluster(options: StartClusterOptions = {}): Promise<StartClusterResult> {
  const stateDir = resolveStateDir(options.stateDir);
  const name = checkClusterName(options.name ?? DEFAULT_CLUSTER_NAME);
  const progress = options.onProgress ?? (() => {});
  const unlock = lockCluster(stateDir, name);
  try {
    const stateFile = stateFilePath(stateDir, name);
    const existing = readClusterState(stateDir, name);
    if (options.hosts || existing?.lab) {
      if (options.host !== undefined || options.basePort !== undefined) throw new UsageError('a lab of hosts takes no --host or --base-port', 'Each host has its own address; brokers listen on port 9999 of it.');
      if (existing?.lab) checkUnchangedLayout(existing, { tls: options.tls });
      const isTls = options.tls === true || existing?.tls !== undefined;
      const lab = await bringUpLab({
        name,
        stateDir,
        stateFile,
        existing,
        count: options.count,
        rsbBin: options.rsbBin ?? RSB_BIN,
        timeoutMs: options.startTimeoutMs ?? DEFAULT_START_TIMEOUT_MS,
        signal: options.signal,
        progress,
        waitForList,
        makeCertificates: isTls ? (hosts) => createClusterCertificates(stateDir, name, hosts) : undefined,
      });
      return { state: lab.state, stateFile, started: lab.started, restarted: [], kept: lab.kept, stopped: [] };
    }
    checkUnchangedLayout(existing, options);
    const host = existing?.host ?? options.host ?? DEFAULT_BROKER_OPTIONS.host;
    const basePort = existing?.basePort ?? options.basePort ?? DEFAULT_BROKER_PORT;
    const count = options.count ?? existing?.brokers.length ?? DEFAULT_CLUSTER_SIZE;
    checkCount(count, basePort);
    const tls = existing ? existing.tls : options.tls ? await createClusterCertificates(stateDir, name, [host]) : undefined;

    // Slot by slot: a running broker is kept, a recorded one that died starts again on its port, a missing one is added.
    const slots: (ClusterBrokerRecord | Planned)[] = [];
    for (let index = 0; index < count; index++) {
      const previous = existing?.brokers[index];
      if (previous && isBrokerProcess(previous.pid, previous.id, stateFile)) {
        slots.push(previous);
      } else {
        slots.push({
          id: previous?.id ?? `${name}-${index + 1}`,
          port: previous?.port ?? (basePort === 0 ? 0 : basePort + index),
          adminPort: previous?.adminPort ?? planAdminPort(basePort, index),
          isRestart: previous !== undefined,
        });
      }
    }
    const planned = slots.filter(isPlanned);
    const kept = slots.filter((slot): slot is ClusterBrokerRecord => !isPlanned(slot));
    const extras = (existing?.brokers.slice(count) ?? []).filter((record) => isBrokerProcess(record.pid, record.id, stateFile));

    const rsbBin = options.rsbBin ?? RSB_BIN;
    const timeoutMs = options.startTimeoutMs ?? DEFAULT_START_TIMEOUT_MS;
    const scheme = tls ? 'tcps://' : '';
    for (const broker of planned) progress(`${broker.isRestart ? 'restarting' : 'starting'} broker ${broker.id} on ${broker.port ? `${scheme}${host}:${broker.port}` : `a free port of ${host}`}`);
    const launched = await launchAll(planned, { host, stateFile, stateDir, name, rsbBin, timeoutMs, signal: options.signal, tls });

    const now = new Date().toISOString();
    const brokers = slots.map((slot): ClusterBrokerRecord => {
      if (!isPlanned(slot)) return slot;
      const started = launched.get(slot.id)!;
      return {
        id: slot.id,
        ...trimPlainUris({ host, port: started.port, uris: started.uris }),
        adminPort: started.adminPort,
        pid: started.pid,
        logFile: brokerLogFile(stateDir, name, slot.id),
        startedAt: started.startedAt,
      };
    });
    const state: ClusterState = { version: STATE_FILE_VERSION, name, host, basePort, createdAt: existing?.createdAt ?? now, updatedAt: now, brokers, ...(tls ? { tls } : {}) };
    // Written before the extras stop: the brokers that stay push the shorter list first, so clients leave the extras in order.
    writeClusterState(stateDir, state);
    for (const extra of extras) {
      progress(`stopping broker ${extra.id} (the cluster shrinks to ${count})`);
      await stopBrokerProcess(extra.pid, STOP_GRACE_MS);
    }
    await waitForList(state, timeoutMs);
    return {
      state,
      stateFile,
      started: planned.filter((entry) => !entry.isRestart).map((entry) => entry.id),
      restarted: planned.filter((entry) => entry.isRestart).map((entry) => entry.id),
      kept: kept.map((record) => record.id),
      stopped: extras.map((record) => record.id),
    };
  } finally {
    unlock();
  }
}

/**
 * Admin ports count down from just below the base port (9998, 9997, ... for brokers on
 * 9999, 10000, ...), so a one-broker cluster matches `rsb start`'s 9999/9998 and the two
 * ranges never overlap. Free ports for both when the base is 0.
 */
export function planAdminPort(basePort: number, index: number): number {
  return basePort === 0 ? 0 : basePort - 1 - index;
}

export function brokerLogFile(stateDir: string, name: string, id: string): string {
  return path.join(logDirPath(stateDir, name), `${id}.log`);
}

function checkCount(count: number, basePort: number): void {
  if (!Number.isInteger(count) || count < 1 || count > MAX_CLUSTER_SIZE) {
    throw new UsageError(`a cluster needs from 1 to ${MAX_CLUSTER_SIZE} brokers, not ${count}`);
  }
  if (basePort !== 0 && (basePort + count - 1 > 0xffff || basePort - count < 1)) {
    throw new UsageError(
      `base port ${basePort} leaves no room for ${count} brokers (ports ${basePort}-${basePort + count - 1}, admin ports ${basePort - count}-${basePort - 1})`,
      'Pick a base port between 1024 and 60000, or 0 for free ports.',
    );
  }
}

/** An existing cluster keeps its host and ports: asking for others is a mistake worth naming. */
function checkUnchangedLayout(existing: ClusterState | undefined, options: StartClusterOptions): void {
  if (!existing) return;
  const conflicts: string[] = [];
  if (options.tls === true && !existing.tls) conflicts.push('plain TCP (no --tls)');
  if (options.host !== undefined && options.host !== existing.host) conflicts.push(`host ${existing.host}`);
  if (options.basePort !== undefined && options.basePort !== existing.basePort) conflicts.push(`base port ${existing.basePort}`);
  if (conflicts.length > 0) {
    throw new UsageError(
      `cluster ${existing.name} already exists with ${conflicts.join(' and ')}`,
      `Run \`rsb cluster down --name ${existing.name}\` first, or start another cluster with --name.`,
    );
  }
}

interface LaunchContext {
  /** The certificates of a TLS cluster. */
  tls: ClusterTls | undefined;
  host: string;
  stateFile: string;
  stateDir: string;
  name: string;
  rsbBin: string;
  timeoutMs: number;
  signal: AbortSignal | undefined;
}

/** Starts the planned brokers side by side; if one fails (or the start is aborted), stops those that started and throws. */
async function launchAll(planned: Planned[], context: LaunchContext): Promise<Map<string, LaunchedBroker>> {
  const outcomes = await Promise.allSettled(
    planned.map((broker) =>
      launchBroker({
        id: broker.id,
        host: context.host,
        port: broker.port,
        adminPort: broker.adminPort,
        clusterArgs: ['--cluster-file', context.stateFile],
        ...(context.tls ? { tls: { cert: context.tls.brokerCert, key: context.tls.brokerKey } } : {}),
        logFile: brokerLogFile(context.stateDir, context.name, broker.id),
        rsbBin: context.rsbBin,
        timeoutMs: context.timeoutMs,
        ...(context.signal ? { signal: context.signal } : {}),
      }),
    ),
  );
  const launched = new Map<string, LaunchedBroker>();
  outcomes.forEach((outcome, index) => {
    if (outcome.status === 'fulfilled') launched.set(planned[index]!.id, outcome.value);
  });
  const failure = outcomes.find((outcome): outcome is PromiseRejectedResult => outcome.status === 'rejected');
  if (failure || context.signal?.aborted) {
    await Promise.all([...launched.values()].map((broker) => stopBrokerProcess(broker.pid, STOP_GRACE_MS)));
    throw failure?.reason ?? new ClusterStartError(`interrupted while cluster ${context.name} was starting; the brokers it started were stopped again`);
  }
  return launched;
}

/**
 * Waits until every broker answers `rsb.broker.cluster` with the list just written: it
 * listens, and it has read the state file. One connection per broker, asked again until then.
 */
export async function waitForList(state: ClusterState, timeoutMs: number): Promise<void> {
  const expected = formatList(state.brokers);
  const access = openClusterAccess(state);
  await Promise.all(
    state.brokers.map(async (broker) => {
      const deadline = Date.now() + timeoutMs;
      let client: BrokerQueryClient | undefined;
      let lastProblem = 'it did not answer';
      try {
        for (;;) {
          try {
            client ??= await BrokerQueryClient.connect({ ...access.locate(broker), tls: access.tls, appName: 'rsb-cluster-up' });
            const list = readBrokerList(await client.query<CloudEvent>(BROKER_ROUTES.CLUSTER));
            const seen = formatList(list.brokers);
            if (list.cluster === state.name && seen === expected) return;
            lastProblem = `it serves the list ${seen || '(none)'}`;
          } catch (error) {
            if (!(error instanceof RsbError) && !(error instanceof ProtocolError)) throw error;
            lastProblem = error.message;
            await client?.close();
            client = undefined;
          }
          if (Date.now() > deadline) {
            throw new ClusterStartError(
              `broker ${broker.id} did not serve the cluster list within ${timeoutMs} ms: ${lastProblem}`,
              `Its log is ${broker.logFile}; stop the cluster with \`rsb cluster down --name ${state.name}\`.`,
            );
          }
          await new Promise((resolve) => setTimeout(resolve, 50));
        }
      } finally {
        await client?.close();
      }
    }),
  );
}

/**
 * The CA, broker and client certificates of a new TLS cluster, in its log folder (removed
 * with it by `down`): the broker certificate names this machine's loopback and the hosts
 * (the address the brokers listen on; a lab's host addresses and name).
 */
async function createClusterCertificates(stateDir: string, name: string, given: readonly string[]): Promise<ClusterTls> {
  const hosts = [...new Set([...LOOPBACK_HOSTS, ...given])];
  try {
    const files = await createDevelopmentCertificates(path.join(logDirPath(stateDir, name), 'tls'), { name, hosts });
    return { ca: files.ca, brokerCert: files.brokerCert, brokerKey: files.brokerKey, clientCert: files.clientCert, clientKey: files.clientKey };
  } catch (error) {
    if (!(error instanceof RsbError)) throw error;
    throw new ClusterStartError(`cannot make the certificates of TLS cluster ${name}: ${error.message}`, 'rsb cluster up --tls needs the openssl command-line tool (Debian: apt-get install openssl).', [], { cause: error });
  }
}

/** The list as text to compare, in id order: brokers that find each other (`--peers`) each list the cluster alike. */
function formatList(brokers: readonly BrokerListEntry[]): string {
  return brokers
    .map((broker) => `${broker.id}@${broker.host}:${broker.port}`)
    .sort()
    .join(',');
}
