import { openClusterAccess } from '../client/index.js';
import { abortOnShutdownSignal } from '../cli/output.js';
import { formatCount } from '../cli/format.js';
import { createLiveView } from '../ui/index.js';
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
  // SIGHUP too: the brokers are detached, so a closed terminal would otherwise leave them running.
  const shutdown = abortOnShutdownSignal(['SIGINT', 'SIGTERM', 'SIGHUP']);
  let started: StartClusterResult;
  try {
    started = await startCluster({ ...startOptions, onProgress: print, signal: shutdown.signal });
  } catch (error) {
    shutdown.dispose();
    throw error;
  }
  for (const line of formatStartResult(started)) print(line);
  const name = started.state.name;
  const monitor = new ClusterMonitor(
    started.state.brokers,
    started.stateFile,
    (row, previous, problem) => view.event(`${row.state === 'up' ? '+' : '!'} ${row.id} ${previous} → ${row.state}${problem ? `: ${problem}` : ''}`),
    openClusterAccess(started.state),
  );
  const view = await createLiveView({
    isInteractive,
    print,
    plainIntervalMs: PLAIN_FIGURES_MS,
    plainLine: () => describeFigures(monitor.rows),
    view: 'ClusterStatus',
    props: () => ({ name, nodes: monitor.rows.map((row) => ({ ...row })) }),
  });
  // The view reads the latest sample; sampling goes on at its own pace, one sample at a time.
  let timer: NodeJS.Timeout | undefined;
  let sampling: Promise<unknown> = Promise.resolve();
  const sample = (): void => {
    sampling = monitor.sample().then(() => {
      if (!shutdown.signal.aborted) timer = setTimeout(sample, SAMPLE_MS);
    });
  };
  sample();
  await sampling;
  view.start();
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

/** The plain figures line: each broker's rate, while requests flow. */
function describeFigures(rows: readonly ClusterNodeRow[]): string | undefined {
  const rate = rows.reduce((sum, row) => sum + row.requestsPerSecond, 0);
  if (rate === 0) return undefined;
  const up = rows.filter((row) => row.state === 'up').length;
  const perBroker = rows.map((row) => `${row.id} ${formatCount(row.requestsPerSecond)}`).join(', ');
  return `${up}/${rows.length} brokers up, ${formatCount(rate)} requests/s (${perBroker})`;
}
