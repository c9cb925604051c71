import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { RSB_BIN } from '../cli/paths.js';
import {
  isBrokerName,
  isSameAddress,
  queryBroker,
  readTlsClientFiles,
  resolveBrokerName,
  resolveBrokerSources,
  selectListedAddress,
  type BrokerAddress,
  type BrokerSource,
  type ClusterBrokerRecord,
  type LabRecord,
  type TlsClientFiles,
} from '../client/index.js';
import { capLink, checkLabTools, cutLink, parseRate, restoreLink, startCluster, stopCluster, uncapLink, type HostLink } from '../cluster/index.js';
import { ProcessStartError, RsbError, TopologyError, UsageError } from '../errors.js';
import { killIfThisProcessExits, killProcess, launchProcess, LIFETIME, type LaunchedProcess, type MockReady } from '../process/index.js';
import { BROKER_ROUTES, ProtocolError, readBrokerList, type CloudEvent } from '../protocol/index.js';
import type { LoadTarget } from './connection-pool.js';
import { toEveryMethod, type TopologyMock, type TopologySpec } from './scenario.js';

/**
 * What a load run sends to: brokers (and, for `--baseline`, mock instances listening
 * directly), and — when rsb started them itself — the means to kill and restart them for
 * fault timelines, and to tear everything down.
 */
export interface Topology {
  readonly brokers: readonly LoadTarget[];
  /** Mock instances' direct listeners (no broker in between): the baseline's targets. */
  readonly direct: readonly LoadTarget[];
  readonly isSelfStarted: boolean;
  /** The lab of hosts its brokers run on (`topology.hosts`). */
  readonly lab?: LabRecord | undefined;
  /** Pids of the brokers it started, in broker order, as they are now (a restart changes one); empty for existing brokers. */
  brokerPids(): number[];
  /** Pids of the mock instances it started (mock-1, mock-2, … in the order the topology lists them), as they are now; undefined for one not running. */
  mockPids(): (number | undefined)[];
  /** SIGKILL a broker or a mock instance (faults: `kill`). */
  kill(kind: 'broker' | 'mock', index: number): Promise<void>;
  /** Start it again where it was (faults: `restart`); a running one is killed first. */
  restart(kind: 'broker' | 'mock', index: number): Promise<void>;
  /** Cuts a broker's host off for `durationMs`, then heals it; resolves once healed (faults: `partition`, a lab of hosts). */
  partition(index: number, durationMs: number): Promise<void>;
  /** Caps a broker host's bandwidth, for `durationMs` or to the end (faults: `bandwidth`, a lab of hosts). */
  capBandwidth(index: number, rate: string, durationMs: number | undefined): Promise<void>;
  /** Stops everything this topology started; safe to call twice. */
  stop(): Promise<void>;
}

/** Where to send load when rsb does not start the brokers itself. */
export interface ExistingBrokers {
  /** `--cluster NAME`: every broker in that cluster's state file. */
  cluster?: string;
  /** `--broker HOST:PORT` (repeatable): these, and the other brokers of their cluster. */
  brokers?: readonly (string | BrokerSource)[] | undefined;
  stateDir?: string | undefined;
  /** Bearer token for brokers started with --auth jwt (their cluster list is asked with it). */
  token?: string | undefined;
  /** Resolver of `dns:` brokers (`--dns-server`). */
  dnsServer?: string | undefined;
  /** tcps and wss brokers: TLS files. */
  tls?: TlsClientFiles | undefined;
}

/**
 * The brokers of `--cluster`, or those given with `--broker` and the rest of their
 * cluster: each given broker is asked its cluster's list (`rsb.broker.cluster`, the list it
 * also pushes), so one address is enough; a `dns:` name is every broker behind it. The
 * list is read once, before the run; a broker the cluster adds during the run is not loaded.
 */
export async function findExistingBrokers(existing: ExistingBrokers): Promise<LoadTarget[]> {
  const sources = resolveBrokerSources({ cluster: existing.cluster, brokers: existing.brokers, stateDir: existing.stateDir, dnsServer: existing.dnsServer });
  const addresses = (await Promise.all(sources.map((source) => (isBrokerName(source) ? resolveBrokerName(source) : [source])))).flat();
  const tls = readTlsClientFiles(existing.tls);
  const found: LoadTarget[] = [];
  const named = new Set<LoadTarget>();
  const add = (address: BrokerAddress): void => {
    const known = found.find((target) => isSameAddress(target, address));
    if (known === undefined) {
      const { id: _id, ...where } = address;
      const target = { ...where, name: address.id || `broker-${found.length + 1}` };
      found.push(target);
      if (address.id) named.add(target);
    } else if (address.id && !named.has(known)) {
      // Given as a bare address, named by the list.
      known.name = address.id;
      named.add(known);
    }
  };
  for (const address of addresses) {
    add(address);
    if (existing.cluster !== undefined) continue;
    try {
      const list = readBrokerList(await queryBroker<CloudEvent>({ ...address, appName: 'rsb-load', token: existing.token, tls }, BROKER_ROUTES.CLUSTER));
      // Each listed broker on the transport of the broker given.
      for (const broker of list.brokers) {
        const listed = selectListedAddress(broker, address.transport);
        if (listed) add(listed);
      }
    } catch (error) {
      // Not reachable now (the run will say so), or a broker that does not answer the route: load what was given.
      if (!(error instanceof RsbError) && !(error instanceof ProtocolError)) throw error;
    }
  }
  return found;
}

/** Brokers someone else runs (`--broker`, `--cluster`): loaded as they are; nothing to start, kill or stop. */
export function useExistingBrokers(brokers: LoadTarget[]): Topology {
  const refuse = (): Promise<void> => Promise.reject(new UsageError('faults need the self-started topology', 'Leave out --broker and --cluster so that rsb starts (and may kill) the brokers itself.'));
  return { brokers, direct: [], isSelfStarted: false, brokerPids: () => [], mockPids: () => [], kill: refuse, restart: refuse, partition: refuse, capBandwidth: refuse, stop: async () => {} };
}

const HOST = '127.0.0.1';
const READY_TIMEOUT_MS = 15_000;
/** Time a mock gets to unregister and close when the topology is torn down. */
const MOCK_STOP_GRACE_MS = 3_000;

/**
 * One mock instance of the topology: `rsb mock SERVICE --instances 1 --broker ...
 * [--listen 0]`, its own process so that a fault can kill it alone, and started again.
 * Its own process group (a Ctrl-C at the terminal goes to the load run alone, which then
 * drains what is in flight before it stops them), killed if the load run exits first.
 */
class MockInstance {
  private process: LaunchedProcess<MockReady> | undefined;

  constructor(
    readonly name: string,
    private readonly args: string[],
  ) {}

  get pid(): number | undefined {
    return this.process?.pid;
  }

  /** Its listener for direct connections, as it reported it; 0 without one. */
  get directPort(): number {
    return this.process?.ready.direct?.port ?? 0;
  }

  /** Starts the process and waits until it reports ready. */
  async start(): Promise<void> {
    try {
      this.process = await launchProcess<MockReady>({ name: `mock ${this.name}`, script: RSB_BIN, args: this.args, lifetime: LIFETIME.OWN_GROUP, readyTimeoutMs: READY_TIMEOUT_MS });
    } catch (error) {
      if (error instanceof ProcessStartError) throw new TopologyError(error.message);
      throw error;
    }
  }

  /** SIGKILL, as `kill -9` would (faults). */
  async kill(): Promise<void> {
    await this.process?.kill();
  }

  /** SIGTERM (it unregisters and closes), SIGKILL if it lingers. */
  async stop(): Promise<void> {
    await this.process?.stop(MOCK_STOP_GRACE_MS);
  }
}

/**
 * The arguments of one mock instance: ready once registered on every broker; with
 * `--listen`, its report names the direct listener's port. In a lab it finds the brokers
 * through the lab's DNS name, as a service on another host would.
 */
function mockArguments(mock: TopologyMock, cluster: TopologyCluster, spec: TopologySpec, isDirectNeeded: boolean): string[] {
  const lab = cluster.lab;
  const where = lab
    ? ['--broker', `dns:${lab.dnsName}:${cluster.brokers[0]!.port}`, '--dns-server', lab.dnsServer]
    : cluster.brokers.flatMap((broker) => ['--broker', `${broker.host}:${broker.port}`]);
  const args = ['mock', mock.service, '--methods', mock.methods.join(','), '--instances', '1', ...where];
  if (spec.keepaliveLifetimeMs !== undefined) args.push('--keepalive-lifetime', `${spec.keepaliveLifetimeMs}ms`);
  if (isDirectNeeded) args.push('--listen', '0');
  for (const [flag, spec] of [['--latency', mock.latency], ['--error', mock.error], ['--stream', mock.stream]] as const) {
    for (const value of toEveryMethod(spec) ?? []) args.push(flag, value);
  }
  return args;
}

export interface StartTopologyOptions {
  /** Mocks also listen for direct connections (the `--baseline` run). */
  isDirectNeeded: boolean;
  log?: (line: string) => void;
}

/**
 * The topology's brokers: a cluster of its own (src/cluster's `startCluster`, free ports,
 * its state in a temporary directory), so brokers start, restart on their port and stop
 * the way `rsb cluster` does it, and know each other's addresses.
 */
class TopologyCluster {
  /** Its brokers are detached (src/cluster starts them so): handed to the exit hook, so that none outlives the load run. */
  private readonly releases = new Map<number, () => void>();

  private constructor(
    private readonly stateDir: string,
    private records: ClusterBrokerRecord[],
    /** Its lab of hosts, when it runs on one. */
    readonly lab: LabRecord | undefined,
  ) {
    this.watch();
  }

  private watch(): void {
    for (const { pid } of this.records) if (!this.releases.has(pid)) this.releases.set(pid, killIfThisProcessExits(pid));
  }

  private forget(pid: number): void {
    this.releases.get(pid)?.();
    this.releases.delete(pid);
  }

  static async start(count: number, hosts: boolean, log?: (line: string) => void): Promise<TopologyCluster> {
    const stateDir = await mkdtemp(join(tmpdir(), 'rsb-load-'));
    try {
      const { state } = await startCluster({ name: CLUSTER_NAME, count, stateDir, onProgress: log, ...(hosts ? { hosts: true } : { basePort: 0 }) });
      return new TopologyCluster(stateDir, state.brokers, state.lab);
    } catch (error) {
      await rm(stateDir, { recursive: true, force: true });
      throw new TopologyError(`the load run's brokers did not start: ${(error as Error).message}`, (error as TopologyError).hint);
    }
  }

  get brokers(): readonly ClusterBrokerRecord[] {
    return this.records;
  }

  /** SIGKILL, as `kill -9` would, and wait until it is gone. */
  async kill(index: number): Promise<void> {
    const { pid } = this.records[index]!;
    await killProcess(pid);
    this.forget(pid);
  }

  /** Kills it if it runs, then brings the cluster back up: a dead broker starts again on its port. */
  async restart(index: number): Promise<void> {
    if (this.lab) throw new UsageError('a broker of a lab of hosts is not restarted alone', 'Use a partition fault to take one away and bring it back.');
    await this.kill(index);
    const { state } = await startCluster({ name: CLUSTER_NAME, stateDir: this.stateDir });
    this.records = state.brokers;
    this.watch();
  }

  /** The host link of broker `index` in the lab. */
  hostLink(index: number): HostLink {
    const record = this.records[index]!;
    if (!this.lab || record.netns === undefined || record.link === undefined) throw new UsageError('network faults need a lab of hosts', 'Set topology.hosts: true in the scenario (Linux, root).');
    return { netns: record.netns, link: record.link };
  }

  async partition(index: number, durationMs: number): Promise<void> {
    const host = this.hostLink(index);
    await cutLink(host);
    try {
      await new Promise((resolve) => setTimeout(resolve, durationMs));
    } finally {
      await restoreLink(host);
    }
  }

  async capBandwidth(index: number, rate: string, durationMs: number | undefined): Promise<void> {
    const host = this.hostLink(index);
    await capLink(host, parseRate(rate));
    if (durationMs === undefined) return;
    try {
      await new Promise((resolve) => setTimeout(resolve, durationMs));
    } finally {
      await uncapLink(host);
    }
  }

  async stop(): Promise<void> {
    await stopCluster({ name: CLUSTER_NAME, stateDir: this.stateDir, graceMs: 3_000 });
    for (const pid of [...this.releases.keys()]) this.forget(pid);
    await rm(this.stateDir, { recursive: true, force: true });
  }
}

/** Its brokers' ids are NAME-N: with this name they are the broker-N that faults and reports use. */
const CLUSTER_NAME = 'broker';

/**
 * Starts the scenario's brokers (a cluster of its own, each broker its own process) and
 * mock instances (`rsb mock`, each its own process, registered on every broker), and
 * waits until all are ready. If any fails, what was started is stopped again before the
 * error is thrown.
 */
export async function startTopology(spec: TopologySpec, options: StartTopologyOptions): Promise<Topology> {
  if (spec.hosts) await checkLabTools({ dnsmasq: true });
  const cluster = await TopologyCluster.start(spec.brokers, spec.hosts ?? false);
  const mocks: MockInstance[] = [];
  let isStopped = false;
  const stop = async (): Promise<void> => {
    if (isStopped) return;
    isStopped = true;
    await Promise.all(mocks.map((mock) => mock.stop()));
    await cluster.stop();
  };
  try {
    for (const mock of spec.mocks) {
      for (let i = 0; i < mock.instances; i++) mocks.push(new MockInstance(`mock-${mocks.length + 1}`, mockArguments(mock, cluster, spec, options.isDirectNeeded)));
    }
    await Promise.all(mocks.map((mock) => mock.start()));
  } catch (error) {
    await stop();
    throw error;
  }
  const brokerName = (index: number): string => `broker-${index + 1}`;
  cluster.brokers.forEach((broker, i) => options.log?.(`started ${brokerName(i)} (pid ${broker.pid}) on ${broker.host}:${broker.port}`));
  for (const mock of mocks) options.log?.(`started ${mock.name} (pid ${mock.pid})${mock.directPort ? `, direct listener on ${HOST}:${mock.directPort}` : ''}`);
  const check = (kind: 'broker' | 'mock', index: number): void => {
    if (index >= (kind === 'broker' ? cluster.brokers.length : mocks.length)) throw new UsageError(`there is no ${kind}-${index + 1} in this topology`);
  };
  return {
    brokers: cluster.brokers.map((broker, i) => ({ name: brokerName(i), host: broker.host, port: broker.port })),
    direct: mocks.filter((mock) => mock.directPort !== 0).map((mock) => ({ name: `${mock.name} (direct)`, host: HOST, port: mock.directPort })),
    isSelfStarted: true,
    lab: cluster.lab,
    brokerPids: () => cluster.brokers.map((broker) => broker.pid),
    mockPids: () => mocks.map((mock) => mock.pid),
    kill: async (kind, index) => {
      check(kind, index);
      await (kind === 'broker' ? cluster.kill(index) : mocks[index]!.kill());
    },
    restart: async (kind, index) => {
      check(kind, index);
      if (kind === 'broker') return cluster.restart(index);
      await mocks[index]!.kill();
      await mocks[index]!.start();
    },
    partition: (index, durationMs) => {
      check('broker', index);
      return cluster.partition(index, durationMs);
    },
    capBandwidth: (index, rate, durationMs) => {
      check('broker', index);
      return cluster.capBandwidth(index, rate, durationMs);
    },
    stop,
  };
}
