import { waitForShutdownSignal } from '../cli/output.js';
import { ConnectError } from '../errors.js';
import { createLiveView } from '../ui/index.js';
import { collectStatus, readClusterAdmins, type StatusReport } from './collect-status.js';
import { formatBrokerLine, formatClusterTotals, formatStatusReport, toStatusTableProps } from './format-status.js';
import type { StatusTarget } from './status-targets.js';

export interface StatusOptions {
  /** The brokers to read, by admin address (host:port), each with its cluster if it is read as part of one. */
  targets: StatusTarget[];
  /** Also read every broker these list in their /api/cluster. */
  isFollowingCluster?: boolean;
  /** Keep reading every `intervalMs` until SIGINT/SIGTERM. */
  isWatching: boolean;
  intervalMs: number;
  /** Ink live table (a terminal) or plain lines. */
  isInteractive: boolean;
  print: (line: string) => void;
}

/** The one call behind `rsb status`: reads the brokers' admin APIs once, or again and again while watching. */
export async function runStatus(options: StatusOptions): Promise<StatusReport> {
  if (options.isFollowingCluster) {
    // A broker that does not answer lists nobody; it is still reported, down.
    const listed = await Promise.all(options.targets.map(({ admin }) => readClusterAdmins(admin).catch(() => [])));
    const known = new Set(options.targets.map(({ admin }) => admin));
    options = { ...options, targets: [...options.targets, ...[...new Set(listed.flat())].filter((admin) => !known.has(admin)).map((admin) => ({ admin }))] };
  }
  if (!options.isWatching) {
    const report = await collectStatus(options.targets);
    if (report.brokers.every((status) => !status.isUp)) {
      const [first] = report.brokers;
      throw new ConnectError(
        `no broker answered at ${options.targets.map(({ admin }) => admin).join(', ')}${first?.error ? `: ${first.error}` : ''}`,
        'Is a broker running with its admin API there? `rsb start` serves it on 127.0.0.1:9998 unless --admin-port says otherwise.',
      );
    }
    for (const line of formatStatusReport(report)) options.print(line);
    return report;
  }
  return watch(options);
}

async function watch(options: StatusOptions): Promise<StatusReport> {
  let isStopped = false;
  const stopped = waitForShutdownSignal().then(() => {
    isStopped = true;
  });
  let report = await collectStatus(options.targets);
  const view = await createLiveView({ isInteractive: options.isInteractive, print: options.print, view: 'StatusTable', props: () => toStatusTableProps(report) });
  const show = (): void => {
    const time = report.takenAt.slice(11, 19);
    view.refresh([...report.brokers.map((status) => `${time} ${formatBrokerLine(status)}`), ...(report.clusters ?? []).map((totals) => `${time} ${formatClusterTotals(totals)}`)]);
  };
  view.start();
  try {
    show();
    while (!isStopped) {
      let timer: NodeJS.Timeout | undefined;
      await Promise.race([stopped, new Promise((resolve) => (timer = setTimeout(resolve, options.intervalMs)))]);
      clearTimeout(timer);
      if (isStopped) break;
      report = await collectStatus(options.targets, report);
      show();
    }
  } finally {
    view.stop();
  }
  return report;
}
