import { spawn, type ChildProcess, type SpawnOptions } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { RSB_BIN } from '../cli/paths.js';
import { queryBroker, resolveBrokers, type BrokerAddress, type ClusterBrokerRecord } from '../client/index.js';
import { isProcessRunning, startCluster, stopCluster } from '../cluster/index.js';
import { RsbError, TopologyError, UsageError } from '../errors.js';
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
  /** Pids of the brokers it started, in broker order, as they are now (a restart changes one); empty for existing brokers. */
  brokerPids(): number[];
  /** SIGKILL a broker or a mock instance (faults: `kill`). */
  kill(kind: 'broker' | 'mock', index: number): Promise<void>;
  /** Start it again where it was (faults: `restart`); a running one is killed first. */
  restart(kind: 'broker' | 'mock', index: number): Promise<void>;
  /** Stops everything this topology started; safe to call twice. */
  stop(): Promise<void>;
}

/** Where to send load when rsb does not start the brokers itself. */
export interface ExistingBrokers {
  /** `--cluster NAME`: every broker in that cluster's state file. */
  cluster?: string;
  /** `--broker HOST:PORT` (repeatable): these, and the other brokers of their cluster. */
  brokers?: string[];
  stateDir?: string;
  /** Bearer token for brokers started with --auth jwt (their cluster list is asked with it). */
  token?: string | undefined;
}

/**
 * The brokers of `--cluster`, or those given with `--broker` and the rest of their
 * cluster: each given broker is asked its cluster's list (`rsb.broker.cluster`, the list it
 * also pushes), so one address is enough. The list is read once, before the run; a broker
 * the cluster adds during the run is not loaded.
 */
export async function findExistingBrokers(existing: ExistingBrokers): Promise<LoadTarget[]> {
  const addresses = resolveBrokers({ cluster: existing.cluster, brokers: existing.brokers, stateDir: existing.stateDir });
  const found: LoadTarget[] = [];
  const named = new Set<LoadTarget>();
  const add = (address: BrokerAddress): void => {
    const known = found.find((target) => target.host === address.host && target.port === address.port);
    if (known === undefined) {
      const target = { name: address.id || `broker-${found.length + 1}`, host: address.host, port: address.port };
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
      const list = readBrokerList(await queryBroker<CloudEvent>({ ...address, appName: 'rsb-load', token: existing.token }, BROKER_ROUTES.CLUSTER));
      for (const broker of list.brokers) add(broker);
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
  return { brokers, direct: [], isSelfStarted: false, brokerPids: () => [], kill: refuse, restart: refuse, stop: async () => {} };
}

const HOST = '127.0.0.1';
/**
 * Plain output (CI set), and a process group of their own: a Ctrl-C at the terminal goes
 * to the load run alone, which then drains what is in flight before it stops them.
 */
const CHILD_OPTIONS: SpawnOptions = { stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, CI: '1' }, detached: true };
const READY_TIMEOUT_MS = 15_000;

/** Every process any topology started and has not seen exit: killed if this process exits without tearing down. */
const LIVE = new Set<ChildProcess>();
let isExitHookInstalled = false;

/** Pids of the brokers a topology's cluster runs (src/cluster starts them, detached). */
const LIVE_BROKER_PIDS = new Set<number>();

/** SIGKILLs every process a topology started that still runs: the last resort of a second Ctrl-C. */
export function killStartedProcesses(): void {
  for (const live of LIVE) live.kill('SIGKILL');
  for (const pid of LIVE_BROKER_PIDS) signal(pid, 'SIGKILL');
}

function signal(pid: number, name: NodeJS.Signals): void {
  try {
    process.kill(pid, name);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'ESRCH') throw error;
  }
}

function installExitHook(): void {
  if (isExitHookInstalled) return;
  isExitHookInstalled = true;
  process.once('exit', killStartedProcesses);
}

function track(child: ChildProcess): void {
  LIVE.add(child);
  child.once('exit', () => LIVE.delete(child));
  installExitHook();
}

/** One mock instance of the topology: a process that can be killed and started again. */
class ManagedProcess {
  private child: ChildProcess | undefined;
  private output: string[] = [];
  directPort = 0;

  constructor(
    readonly name: string,
    private readonly launch: (process: ManagedProcess) => Launched,
  ) {}

  get pid(): number | undefined {
    return this.child?.pid;
  }

  get isRunning(): boolean {
    return this.child !== undefined && this.child.exitCode === null && this.child.signalCode === null;
  }

  /** Starts the process and waits until it is ready; `kill` during the wait kills it (and the wait fails). */
  async start(): Promise<void> {
    this.output = [];
    const { child, ready } = this.launch(this);
    this.child = child;
    await ready;
  }

  remember(text: string): void {
    this.output.push(...text.split('\n').filter(Boolean));
    if (this.output.length > 20) this.output.splice(0, this.output.length - 20);
  }

  get lastOutput(): string {
    return this.output.join('\n');
  }

  async kill(signal: NodeJS.Signals = 'SIGKILL'): Promise<void> {
    const child = this.child;
    if (!child || !this.isRunning) return;
    const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
    child.kill(signal);
    const timer = setTimeout(() => child.kill('SIGKILL'), 3_000);
    await exited;
    clearTimeout(timer);
  }
}

/** A process just spawned, and the promise of its being ready. */
interface Launched {
  child: ChildProcess;
  ready: Promise<void>;
}

/**
 * One mock instance: `rsb mock SERVICE --instances 1 --broker ... [--listen 0]`, its own
 * process so that a fault can kill it alone. Ready once it prints its ready line; with
 * `--listen`, the line before it names the direct listener's port.
 */
function launchMock(mock: TopologyMock, brokers: readonly { host: string; port: number }[], isDirectNeeded: boolean): (managed: ManagedProcess) => Launched {
  const args = [RSB_BIN, 'mock', mock.service, '--methods', mock.methods.join(','), '--instances', '1', ...brokers.flatMap((broker) => ['--broker', `${broker.host}:${broker.port}`])];
  if (isDirectNeeded) args.push('--listen', '0');
  for (const [flag, spec] of [['--latency', mock.latency], ['--error', mock.error], ['--stream', mock.stream]] as const) {
    for (const value of toEveryMethod(spec) ?? []) args.push(flag, value);
  }
  return (managed) => {
    const child = spawn(process.execPath, args, CHILD_OPTIONS);
    track(child);
    const ready = new Promise<void>((resolve, reject) => {
      const timer = setTimeout(() => {
        child.kill('SIGKILL');
        reject(new TopologyError(`mock ${managed.name} was not ready within ${READY_TIMEOUT_MS / 1000} s:\n${managed.lastOutput}`));
      }, READY_TIMEOUT_MS);
      let seen = '';
      child.stdout!.setEncoding('utf8').on('data', (text: string) => {
        managed.remember(text);
        if (seen === 'ready') return;
        seen += text;
        const direct = /listening on [\d.]+:(\d+) for direct connections/.exec(seen);
        if (direct) managed.directPort = Number(direct[1]);
        if (/ ready: /.test(seen)) {
          clearTimeout(timer);
          seen = 'ready';
          resolve();
        }
      });
      child.stderr!.setEncoding('utf8').on('data', (text: string) => managed.remember(text));
      child.once('exit', (code) => {
        clearTimeout(timer);
        reject(new TopologyError(`mock ${managed.name} exited with code ${code} before it was ready:\n${managed.lastOutput}`));
      });
    });
    return { child, ready };
  };
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
  private constructor(
    private readonly stateDir: string,
    private records: ClusterBrokerRecord[],
  ) {
    for (const record of records) LIVE_BROKER_PIDS.add(record.pid);
    installExitHook();
  }

  static async start(count: number, log?: (line: string) => void): Promise<TopologyCluster> {
    const stateDir = await mkdtemp(join(tmpdir(), 'rsb-load-'));
    try {
      const { state } = await startCluster({ name: CLUSTER_NAME, count, basePort: 0, stateDir, onProgress: log });
      return new TopologyCluster(stateDir, state.brokers);
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
    signal(pid, 'SIGKILL');
    while (isProcessRunning(pid)) await new Promise((resolve) => setTimeout(resolve, 20));
    LIVE_BROKER_PIDS.delete(pid);
  }

  /** Kills it if it runs, then brings the cluster back up: a dead broker starts again on its port. */
  async restart(index: number): Promise<void> {
    await this.kill(index);
    const { state } = await startCluster({ name: CLUSTER_NAME, stateDir: this.stateDir });
    this.records = state.brokers;
    for (const record of this.records) LIVE_BROKER_PIDS.add(record.pid);
  }

  async stop(): Promise<void> {
    await stopCluster({ name: CLUSTER_NAME, stateDir: this.stateDir, graceMs: 3_000 });
    for (const record of this.records) LIVE_BROKER_PIDS.delete(record.pid);
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
  const cluster = await TopologyCluster.start(spec.brokers);
  const mocks: ManagedProcess[] = [];
  let isStopped = false;
  const stop = async (): Promise<void> => {
    if (isStopped) return;
    isStopped = true;
    await Promise.all(mocks.map((mock) => mock.kill('SIGTERM')));
    await cluster.stop();
  };
  try {
    for (const mock of spec.mocks) {
      for (let i = 0; i < mock.instances; i++) mocks.push(new ManagedProcess(`mock-${mocks.length + 1}`, launchMock(mock, cluster.brokers, options.isDirectNeeded)));
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
    brokerPids: () => cluster.brokers.map((broker) => broker.pid),
    kill: async (kind, index) => {
      check(kind, index);
      await (kind === 'broker' ? cluster.kill(index) : mocks[index]!.kill('SIGKILL'));
    },
    restart: async (kind, index) => {
      check(kind, index);
      if (kind === 'broker') return cluster.restart(index);
      await mocks[index]!.kill('SIGKILL');
      await mocks[index]!.start();
    },
    stop,
  };
}
