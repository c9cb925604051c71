import type { LabRecord } from '../client/index.js';
import { formatTransportUri, TRANSPORT } from '../protocol/index.js';
import { ClusterStartError, ClusterStateError, PROCESS_START_FAILURE, ProcessStartError, ProcessStopError } from '../errors.js';
import { HAS_PROC_FILESYSTEM, isProcessRunning, launchProcess, LIFETIME, readCommandLine, terminateProcess, type BrokerReady, type Termination } from '../process/index.js';
import { LAB_BROKER_PORT } from './host-lab.js';

/**
 * Whether `pid` still runs the broker `id` of the cluster whose state file is
 * `clusterFile`. A pid that no longer runs, or that now runs something else (pids are
 * reused), is not it: its command line must carry `--cluster-file <clusterFile>` (a lab
 * host's: `--peers dns:NAME:PORT` of its lab) and `--id <id>`, as `launchBroker` wrote
 * them. Without /proc (not Linux) the pid alone decides.
 */
export function isBrokerProcess(pid: number, id: string, clusterFile: string, lab?: Pick<LabRecord, 'dnsName'>): boolean {
  const markers: [string, string][] = lab
    ? [
        ['--peers', labPeers(lab, false)],
        ['--peers', labPeers(lab, true)],
      ]
    : [['--cluster-file', clusterFile]];
  return isProcessWith(pid, id, markers);
}

/** What a lab's brokers are given as `--peers`: every broker behind the lab's name, on tcps in a TLS lab. */
export function labPeers(lab: Pick<LabRecord, 'dnsName'>, isTls: boolean): string {
  return isTls ? `dns+tcps://${lab.dnsName}:${LAB_BROKER_PORT}` : `dns:${lab.dnsName}:${LAB_BROKER_PORT}`;
}

/** Whether `pid` still runs broker `id` started with one of the argument pairs `markers`. */
function isProcessWith(pid: number, id: string, markers: readonly (readonly [string, string])[]): boolean {
  if (!isProcessRunning(pid)) return false;
  if (!HAS_PROC_FILESYSTEM) return true;
  const argv = readCommandLine(pid);
  return argv !== undefined && markers.some(([flag, value]) => hasArgument(argv, flag, value)) && hasArgument(argv, '--id', id);
}

function hasArgument(argv: string[], flag: string, value: string): boolean {
  for (let i = 0; i < argv.length - 1; i++) if (argv[i] === flag && argv[i + 1] === value) return true;
  return argv.includes(`${flag}=${value}`);
}

export interface BrokerLaunch {
  id: string;
  host: string;
  /** 0: any free port. */
  port: number;
  /** Its admin HTTP port (`rsb start --admin-port`; 0: any free port). */
  adminPort: number;
  /** How it knows its cluster: `['--cluster-file', FILE]`, or a lab host's `--peers dns:…` and the rest. */
  clusterArgs: string[];
  /** A lab host: it runs in this network namespace, its admin API on every address of it. */
  netns?: string;
  /**
   * A TLS cluster's broker: listens on tcps only, with this certificate (PEM files); `ca`
   * is what it trusts its peers with (a lab's `--peers` on tcps).
   */
  tls?: { cert: string; key: string; ca?: string | undefined };
  logFile: string;
  rsbBin: string;
  timeoutMs: number;
  /** Aborted (Ctrl-C): the broker is stopped again and the launch fails. */
  signal?: AbortSignal;
}

export interface LaunchedBroker {
  pid: number;
  port: number;
  /** Every listener's URI, as the broker reported them. */
  uris: string[];
  /** The admin HTTP port it serves (the free one it got when asked for 0). */
  adminPort: number;
  startedAt: string;
}

/**
 * Starts `rsb start` detached (its own process group, so a Ctrl-C meant for the caller
 * does not reach it, and it outlives the caller) with stdout and stderr appended to its
 * log file, and resolves once it reports ready. Fails with ClusterStartError quoting the log.
 */
export async function launchBroker(spec: BrokerLaunch): Promise<LaunchedBroker> {
  const listen = spec.tls
    ? [
        ...['--listen', formatTransportUri({ transport: TRANSPORT.TCPS, host: spec.host, port: spec.port }), '--tls-cert', spec.tls.cert, '--tls-key', spec.tls.key],
        ...(spec.tls.ca !== undefined ? ['--tls-ca', spec.tls.ca] : []),
      ]
    : ['--host', spec.host, '--port', String(spec.port)];
  const args = ['start', ...listen, '--admin-port', String(spec.adminPort), '--id', spec.id, ...spec.clusterArgs];
  if (spec.netns !== undefined) args.push('--admin-host', spec.host);
  try {
    const broker = await launchProcess<BrokerReady>({
      name: `broker ${spec.id}`,
      script: spec.rsbBin,
      args,
      lifetime: LIFETIME.DETACHED,
      readyTimeoutMs: spec.timeoutMs,
      logFile: spec.logFile,
      logHeader: `--- ${new Date().toISOString()} rsb cluster: starting broker ${spec.id} on ${spec.port ? `${spec.host}:${spec.port}` : `a free port of ${spec.host}`}${spec.netns ? ` in ${spec.netns}` : ''}`,
      ...(spec.signal ? { signal: spec.signal } : {}),
      ...(spec.netns !== undefined ? { netns: spec.netns } : {}),
    });
    return { pid: broker.pid, port: broker.ready.port, uris: broker.ready.uris, adminPort: broker.ready.adminPort ?? spec.adminPort, startedAt: new Date().toISOString() };
  } catch (error) {
    if (error instanceof ProcessStartError) throw describeStartFailure(spec, error);
    throw error;
  }
}

/** Names the cause in one sentence (the port, when it is taken) and keeps the end of the log. */
function describeStartFailure(spec: BrokerLaunch, error: ProcessStartError): ClusterStartError {
  const options = { cause: error };
  if (error.failure === PROCESS_START_FAILURE.ABORTED) {
    return new ClusterStartError(`interrupted while broker ${spec.id} was starting; it was stopped again`, undefined, [], options);
  }
  const tail = error.outputTail;
  // What the broker reported as it failed: rsb's own error, with the system error under it.
  const complaint = error.childReport;
  if (complaint?.errno === 'EADDRINUSE' && complaint.message.startsWith('admin server')) {
    return new ClusterStartError(
      `broker ${spec.id} could not serve its admin API on ${spec.host}:${spec.adminPort}: the port is in use`,
      'Stop what listens there, pick another --base-port (admin ports count down from the one below it), or ask for free ports with --base-port 0.',
      tail,
      options,
    );
  }
  if (complaint?.errno === 'EADDRINUSE') {
    return new ClusterStartError(
      `broker ${spec.id} could not listen on ${spec.host}:${spec.port}: the port is in use`,
      'Stop what listens there, pick another --base-port, or ask for free ports with --base-port 0.',
      tail,
      options,
    );
  }
  const exit = error.failure === PROCESS_START_FAILURE.TIMED_OUT ? `it did not listen within ${spec.timeoutMs} ms` : `it ${error.detail}`;
  return new ClusterStartError(`broker ${spec.id} did not start: ${complaint?.message ?? exit}`, `Its log is ${spec.logFile}.`, tail, options);
}

/** The stop sequence for a broker of a cluster: one that outlives SIGKILL is a cluster state problem, as `rsb cluster down` reports it. */
export async function stopBrokerProcess(pid: number, graceMs: number): Promise<Termination> {
  try {
    return await terminateProcess(pid, graceMs);
  } catch (error) {
    if (error instanceof ProcessStopError) throw new ClusterStateError(error.message, error.hint, { cause: error });
    throw error;
  }
}
