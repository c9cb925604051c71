import { abortOnShutdownSignal, formatCount } from '../cli/output.js';
import { ClusterMonitor, type ClusterNodeRow } from './cluster-monitor.js';
import { formatStartResult } from './format.js';
import { startCluster, type StartClusterOptions, type StartClusterResult } from './start-cluster.js';
import { stopCluster, type StopClusterResult } from './stop-cluster.js';

export interface ForegroundOptions extends Omit<StartClusterOptions, 'onProgress'> {
  /** Live Ink view (a terminal) or plain lines. */
  isInteractive: boolean;
  print: (line: string) => void;
}

export interface ForegroundResult {
  started: StartClusterResult;
  signal: NodeJS.Signals;
  stopped: StopClusterResult;
}

const SAMPLE_MS = 1_000;
/** Plain output: a figures line this often, while requests flow. */
const PLAIN_FIGURES_MS = 10_000;

/**
 * `rsb cluster up --foreground`: starts the cluster as `up` does, shows its brokers live
 * (Ink on a terminal, plain lines otherwise) and stops them all on SIGINT/SIGTERM.
 */
export async function runClusterForeground(options: ForegroundOptions): Promise<ForegroundResult> {
  const { isInteractive, print, ...startOptions } = options;
  // Listening from the start: a Ctrl-C while the brokers start stops those already started.
  const shutdown = abortOnShutdownSignal();
  let started: StartClusterResult;
  try {
    started = await startCluster({ ...startOptions, onProgress: print, signal: shutdown.signal });
  } catch (error) {
    shutdown.dispose();
    throw error;
  }
  for (const line of formatStartResult(started)) print(line);
  // Ink (and React, and its layout engine) cost ~45 MB: loaded only when a person watches.
  const view: View = isInteractive ? await InkView.create(started.state.name) : new PlainView(print);
  const monitor = new ClusterMonitor(started.state.brokers, started.stateFile, (row, previous, problem) =>
    view.event(`${row.state === 'up' ? '+' : '!'} ${row.id} ${previous} → ${row.state}${problem ? `: ${problem}` : ''}`),
  );
  let timer: NodeJS.Timeout | undefined;
  let sampling: Promise<void> = Promise.resolve();
  const sample = (): void => {
    sampling = monitor.sample().then((rows) => {
      if (shutdown.signal.aborted) return;
      view.draw(rows);
      timer = setTimeout(sample, SAMPLE_MS);
    });
  };
  sample();
  const signal = await shutdown.received;
  clearTimeout(timer);
  // The sample under way ends before the brokers stop, so that their stopping is not reported as failures.
  await sampling;
  view.stop();
  await monitor.close();
  print(`stopping cluster ${started.state.name} on ${signal}`);
  const stopped = await stopCluster({ name: started.state.name, ...(options.stateDir ? { stateDir: options.stateDir } : {}) });
  print(`cluster ${started.state.name} stopped: ${stopped.brokers.map((broker) => `${broker.id} ${broker.outcome}`).join(', ')}`);
  return { started, signal, stopped };
}

interface View {
  event(text: string): void;
  draw(rows: ClusterNodeRow[]): void;
  stop(): void;
}

class PlainView implements View {
  private lastFiguresAt = Date.now();

  constructor(private readonly print: (line: string) => void) {}

  event(text: string): void {
    this.print(text);
  }

  draw(rows: ClusterNodeRow[]): void {
    const now = Date.now();
    if (now - this.lastFiguresAt < PLAIN_FIGURES_MS) return;
    const rate = rows.reduce((sum, row) => sum + row.requestsPerSecond, 0);
    if (rate === 0) return;
    this.lastFiguresAt = now;
    const up = rows.filter((row) => row.state === 'up').length;
    const perBroker = rows.map((row) => `${row.id} ${formatCount(row.requestsPerSecond)}`).join(', ');
    this.print(`${up}/${rows.length} brokers up, ${formatCount(rate)} requests/s (${perBroker})`);
  }

  stop(): void {}
}

type InkModules = [typeof import('ink'), typeof import('react'), typeof import('../ui/index.js')];

class InkView implements View {
  private readonly events: { key: number; text: string }[] = [];
  private instance: ReturnType<InkModules[0]['render']> | undefined;

  private constructor(
    private readonly name: string,
    private readonly modules: InkModules,
  ) {}

  static async create(name: string): Promise<InkView> {
    return new InkView(name, await Promise.all([import('ink'), import('react'), import('../ui/index.js')]));
  }

  event(text: string): void {
    this.events.push({ key: this.events.length, text });
  }

  draw(rows: ClusterNodeRow[]): void {
    const [{ render }, React, { ClusterStatus }] = this.modules;
    const element = React.createElement(ClusterStatus, { name: this.name, nodes: rows.map((row) => ({ ...row })), events: [...this.events] });
    if (this.instance) this.instance.rerender(element);
    else this.instance = render(element, { exitOnCtrlC: false, patchConsole: false });
  }

  stop(): void {
    this.instance?.unmount();
  }
}
