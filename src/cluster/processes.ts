import { spawn } from 'node:child_process';
import { closeSync, existsSync, fstatSync, mkdirSync, openSync, readFileSync, readSync, writeSync } from 'node:fs';
import path from 'node:path';
import { ClusterStartError, ClusterStateError } from '../errors.js';

/** Whether a process with this pid exists and has not ended (a zombie has ended). */
export function isProcessRunning(pid: number): boolean {
  try {
    process.kill(pid, 0);
  } catch (error) {
    // EPERM: it exists but belongs to someone else.
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
  const stat = readProcFile(pid, 'stat');
  if (stat === undefined) return true;
  // /proc/<pid>/stat: "pid (comm) S ..."; comm may hold spaces and parentheses, so read after the last ')'.
  const state = stat.charAt(stat.lastIndexOf(')') + 2);
  return state !== 'Z' && state !== 'X';
}

/** A process's arguments from /proc; undefined where there is no /proc or the process is gone. */
export function readCommandLine(pid: number): string[] | undefined {
  const text = readProcFile(pid, 'cmdline');
  return text === undefined ? undefined : text.split('\0').filter((arg) => arg !== '');
}

/**
 * A process's resident memory now and at its peak (VmRSS and VmHWM of /proc/PID/status),
 * in bytes; undefined once it is gone (or a zombie), or without /proc. The peak covers the process's
 * whole life, so sampling it now and then misses no spike.
 */
export function readProcessMemory(pid: number): { rssBytes: number; peakRssBytes: number } | undefined {
  const status = readProcFile(pid, 'status');
  const field = (name: string): number | undefined => {
    const kib = status === undefined ? undefined : new RegExp(`^${name}:\\s+(\\d+) kB`, 'm').exec(status)?.[1];
    return kib === undefined ? undefined : Number(kib) * 1024;
  };
  const rssBytes = field('VmRSS');
  const peakRssBytes = field('VmHWM');
  // A zombie (killed, not yet reaped) has a status without memory lines.
  return rssBytes === undefined || peakRssBytes === undefined ? undefined : { rssBytes, peakRssBytes };
}

function readProcFile(pid: number, name: string): string | undefined {
  try {
    return readFileSync(`/proc/${pid}/${name}`, 'utf8');
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    if (code === 'ENOENT' || code === 'ESRCH') return undefined;
    throw error;
  }
}

const HAS_PROC = existsSync('/proc/self/cmdline');

/**
 * Whether `pid` still runs the broker `id` of the cluster whose state file is
 * `clusterFile`. A pid that no longer runs, or that now runs something else (pids are
 * reused), is not it: its command line must carry `--cluster-file <clusterFile>` and
 * `--id <id>`, as `launchBroker` wrote them. Without /proc (not Linux) the pid alone decides.
 */
export function isBrokerProcess(pid: number, id: string, clusterFile: string): boolean {
  if (!isProcessRunning(pid)) return false;
  if (!HAS_PROC) return true;
  const argv = readCommandLine(pid);
  return argv !== undefined && hasArgument(argv, '--cluster-file', clusterFile) && hasArgument(argv, '--id', id);
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
  clusterFile: string;
  logFile: string;
  rsbBin: string;
  timeoutMs: number;
  /** Aborted (Ctrl-C): the broker is stopped again and the launch fails. */
  signal?: AbortSignal;
}

export interface LaunchedBroker {
  pid: number;
  port: number;
  /** The admin HTTP port it serves, as its log says (the free one it got when asked for 0). */
  adminPort: number;
  startedAt: string;
}

/** The line `rsb start` prints once it listens, its admin server already up (src/broker/run-node.ts). */
const LISTENING_LINE = /rsb broker \S+ listening on (\S+):(\d+)/;
/** The line before it, when the admin server runs. */
const ADMIN_LINE = /admin API and metrics on http:\/\/\S+:(\d+)/;
const POLL_MS = 50;
const LOG_TAIL_LINES = 15;
/** A broker that has not listened after this much output never will: enough to find the line or the complaint. */
const MAX_LOG_READ_BYTES = 64 * 1024;

/**
 * Starts `rsb start` as a detached process (its own process group, so a Ctrl-C meant for
 * the caller does not reach it) with stdout and stderr appended to its log file, and
 * resolves once the log says it listens. Fails with ClusterStartError quoting the log.
 */
export async function launchBroker(spec: BrokerLaunch): Promise<LaunchedBroker> {
  mkdirSync(path.dirname(spec.logFile), { recursive: true });
  const fd = openSync(spec.logFile, 'a');
  let logStart: number;
  try {
    writeSync(fd, `--- ${new Date().toISOString()} rsb cluster: starting broker ${spec.id} on ${spec.port ? `${spec.host}:${spec.port}` : `a free port of ${spec.host}`}\n`);
    logStart = fstatSync(fd).size;
  } catch (error) {
    closeSync(fd);
    throw error;
  }
  const args = [
    spec.rsbBin,
    'start',
    '--host',
    spec.host,
    '--port',
    String(spec.port),
    '--admin-port',
    String(spec.adminPort),
    '--id',
    spec.id,
    '--cluster-file',
    spec.clusterFile,
  ];
  const child = spawn(process.execPath, args, { detached: true, stdio: ['ignore', fd, fd], env: { ...process.env, CI: '1' } });
  closeSync(fd);
  child.unref();
  let exit: string | undefined;
  const onExit = (code: number | null, signal: NodeJS.Signals | null): void => {
    exit = signal ? `it was killed by ${signal}` : `it exited with code ${code}`;
  };
  const onError = (error: Error): void => {
    exit = `it could not be spawned: ${error.message}`;
  };
  child.on('exit', onExit);
  child.on('error', onError);
  try {
    const deadline = Date.now() + spec.timeoutMs;
    for (;;) {
      const log = readLogFrom(spec.logFile, logStart);
      const listening = LISTENING_LINE.exec(log);
      if (listening && child.pid !== undefined) {
        const adminPort = Number(ADMIN_LINE.exec(log)?.[1] ?? spec.adminPort);
        return { pid: child.pid, port: Number(listening[2]), adminPort, startedAt: new Date().toISOString() };
      }
      if (spec.signal?.aborted && exit === undefined) {
        if (child.pid !== undefined) await terminateProcess(child.pid, 1_000);
        throw new ClusterStartError(`interrupted while broker ${spec.id} was starting; it was stopped again`);
      }
      if (exit !== undefined || Date.now() > deadline) {
        if (exit === undefined) {
          child.kill('SIGKILL');
          exit = `it did not listen within ${spec.timeoutMs} ms`;
        }
        throw describeStartFailure(spec, exit, log);
      }
      await new Promise((resolve) => setTimeout(resolve, POLL_MS));
    }
  } finally {
    child.off('exit', onExit);
    child.off('error', onError);
  }
}

/** What the broker wrote since `start`: the log may hold earlier runs, and grows while a broker runs long. */
function readLogFrom(file: string, start: number): string {
  const fd = openSync(file, 'r');
  try {
    const length = Math.max(0, fstatSync(fd).size - start);
    const bytes = Buffer.alloc(Math.min(length, MAX_LOG_READ_BYTES));
    const read = readSync(fd, bytes, 0, bytes.length, start);
    return bytes.toString('utf8', 0, read);
  } finally {
    closeSync(fd);
  }
}

/** Names the cause in one sentence (the port, when it is taken) and keeps the end of the log. */
function describeStartFailure(spec: BrokerLaunch, exit: string, log: string): ClusterStartError {
  const lines = log.split('\n').filter((line) => line.trim() !== '');
  const tail = lines.slice(-LOG_TAIL_LINES);
  const complaint = lines.find((line) => line.startsWith('rsb: '))?.slice('rsb: '.length);
  if (complaint?.startsWith('admin server') && complaint.includes('EADDRINUSE')) {
    return new ClusterStartError(
      `broker ${spec.id} could not serve its admin API on ${spec.host}:${spec.adminPort}: the port is in use`,
      'Stop what listens there, pick another --base-port (admin ports count down from the one below it), or ask for free ports with --base-port 0.',
      tail,
    );
  }
  if (complaint?.includes('EADDRINUSE')) {
    return new ClusterStartError(
      `broker ${spec.id} could not listen on ${spec.host}:${spec.port}: the port is in use`,
      'Stop what listens there, pick another --base-port, or ask for free ports with --base-port 0.',
      tail,
    );
  }
  return new ClusterStartError(
    `broker ${spec.id} did not start: ${complaint ?? exit}`,
    `Its log is ${spec.logFile}.`,
    tail,
  );
}

export const TERMINATION = {
  /** It ended after SIGTERM. */
  STOPPED: 'stopped',
  /** It outlived the grace period and was killed with SIGKILL. */
  KILLED: 'killed',
  /** It was not running (or the pid now belongs to another program, which is left alone). */
  NOT_RUNNING: 'not-running',
} as const;
export type Termination = (typeof TERMINATION)[keyof typeof TERMINATION];

/** SIGTERM, then SIGKILL after `graceMs`; resolves once the process is gone. */
export async function terminateProcess(pid: number, graceMs: number): Promise<Termination> {
  if (!signalProcess(pid, 'SIGTERM')) return TERMINATION.NOT_RUNNING;
  if (await waitForExit(pid, graceMs)) return TERMINATION.STOPPED;
  signalProcess(pid, 'SIGKILL');
  // SIGKILL cannot be caught: only a process stuck in the kernel outlives this.
  if (await waitForExit(pid, 5_000)) return TERMINATION.KILLED;
  throw new ClusterStateError(`process ${pid} survived SIGKILL for 5 s`, `Check it with \`ps -p ${pid}\`.`);
}

function signalProcess(pid: number, signal: NodeJS.Signals): boolean {
  try {
    process.kill(pid, signal);
    return true;
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ESRCH') return false;
    throw error;
  }
}

async function waitForExit(pid: number, timeoutMs: number): Promise<boolean> {
  const deadline = Date.now() + timeoutMs;
  while (isProcessRunning(pid)) {
    if (Date.now() > deadline) return false;
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
  return true;
}
