import { spawn, type ChildProcess, type SpawnOptions } from 'node:child_process';
import { RSB_BIN } from '../cli/paths.js';
import { TopologyError, UsageError } from '../errors.js';
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
  /** SIGKILL a broker or a mock instance (faults: `kill`). */
  kill(kind: 'broker' | 'mock', index: number): Promise<void>;
  /** Start it again where it was (faults: `restart`); a running one is killed first. */
  restart(kind: 'broker' | 'mock', index: number): Promise<void>;
  /** Stops everything this topology started; safe to call twice. */
  stop(): Promise<void>;
}

/** Brokers someone else runs (`--broker`): loaded as they are; nothing to start, kill or stop. */
export function useExistingBrokers(brokers: LoadTarget[]): Topology {
  const refuse = (): Promise<void> => Promise.reject(new UsageError('faults need the self-started topology', 'Leave out --broker so that rsb starts (and may kill) the brokers itself.'));
  return { brokers, direct: [], isSelfStarted: false, kill: refuse, restart: refuse, stop: async () => {} };
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

/** SIGKILLs every process a topology started that still runs: the last resort of a second Ctrl-C. */
export function killStartedProcesses(): void {
  for (const live of LIVE) live.kill('SIGKILL');
}

function track(child: ChildProcess): void {
  LIVE.add(child);
  child.once('exit', () => LIVE.delete(child));
  if (!isExitHookInstalled) {
    isExitHookInstalled = true;
    process.once('exit', killStartedProcesses);
  }
}

/** One broker or mock process of the topology, which can be killed and started again on the same port. */
class ManagedProcess {
  private child: ChildProcess | undefined;
  private output: string[] = [];
  port = 0;
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

function launchBroker(managed: ManagedProcess): Launched {
  const child = spawn(process.execPath, [RSB_BIN, 'start', '--port', String(managed.port), '--id', managed.name], CHILD_OPTIONS);
  track(child);
  const ready = new Promise<void>((resolve, reject) => {
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new TopologyError(`broker ${managed.name} did not start listening within ${READY_TIMEOUT_MS / 1000} s:\n${managed.lastOutput}`));
    }, READY_TIMEOUT_MS);
    let seen = '';
    child.stdout!.setEncoding('utf8').on('data', (text: string) => {
      managed.remember(text);
      if (managed.port !== 0 && seen === 'ready') return;
      seen += text;
      const match = /listening on [\d.]+:(\d+)/.exec(seen);
      if (match) {
        clearTimeout(timer);
        managed.port = Number(match[1]);
        seen = 'ready';
        resolve();
      }
    });
    child.stderr!.setEncoding('utf8').on('data', (text: string) => managed.remember(text));
    child.once('exit', (code) => {
      clearTimeout(timer);
      reject(new TopologyError(`broker ${managed.name} exited with code ${code} before listening:\n${managed.lastOutput}`, 'Is the port taken? Run `rsb start --port 0` by hand to see.'));
    });
  });
  return { child, ready };
}

/**
 * One mock instance: `rsb mock SERVICE --instances 1 --broker ... [--listen 0]`, its own
 * process so that a fault can kill it alone. Ready once it prints its ready line; with
 * `--listen`, the line before it names the direct listener's port.
 */
function launchMock(mock: TopologyMock, brokers: { host: string; port: number }[], isDirectNeeded: boolean): (managed: ManagedProcess) => Launched {
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
 * Starts the scenario's brokers (`rsb start --port 0`, each its own process) and mock
 * instances (`rsb mock`, each its own process, registered on every broker), and waits
 * until all are ready. If any fails, what was started is stopped again before the error
 * is thrown.
 */
export async function startTopology(spec: TopologySpec, options: StartTopologyOptions): Promise<Topology> {
  const brokers = Array.from({ length: spec.brokers }, (_, i) => new ManagedProcess(`broker-${i + 1}`, launchBroker));
  const mocks: ManagedProcess[] = [];
  const stop = async (): Promise<void> => {
    await Promise.all(mocks.map((mock) => mock.kill('SIGTERM')));
    await Promise.all(brokers.map((broker) => broker.kill('SIGTERM')));
  };
  try {
    await Promise.all(brokers.map((broker) => broker.start()));
    const addresses = brokers.map((broker) => ({ host: HOST, port: broker.port }));
    for (const mock of spec.mocks) {
      for (let i = 0; i < mock.instances; i++) mocks.push(new ManagedProcess(`mock-${mocks.length + 1}`, launchMock(mock, addresses, options.isDirectNeeded)));
    }
    await Promise.all(mocks.map((mock) => mock.start()));
  } catch (error) {
    await stop();
    throw error;
  }
  for (const broker of brokers) options.log?.(`started ${broker.name} (pid ${broker.pid}) on ${HOST}:${broker.port}`);
  for (const mock of mocks) options.log?.(`started ${mock.name} (pid ${mock.pid})${mock.directPort ? `, direct listener on ${HOST}:${mock.directPort}` : ''}`);
  const pick = (kind: 'broker' | 'mock', index: number): ManagedProcess => {
    const managed = (kind === 'broker' ? brokers : mocks)[index];
    if (!managed) throw new UsageError(`there is no ${kind}-${index + 1} in this topology`);
    return managed;
  };
  return {
    brokers: brokers.map((broker) => ({ name: broker.name, host: HOST, port: broker.port })),
    direct: mocks.filter((mock) => mock.directPort !== 0).map((mock) => ({ name: `${mock.name} (direct)`, host: HOST, port: mock.directPort })),
    isSelfStarted: true,
    kill: (kind, index) => pick(kind, index).kill('SIGKILL'),
    restart: async (kind, index) => {
      const managed = pick(kind, index);
      await managed.kill('SIGKILL');
      await managed.start();
    },
    stop,
  };
}
