import { spawn, type ChildProcess } from 'node:child_process';
import { closeSync, fstatSync, mkdirSync, openSync, readSync, writeSync } from 'node:fs';
import path from 'node:path';
import type { Readable } from 'node:stream';
import { PROCESS_START_FAILURE, ProcessStartError, type ChildFailureReport, type ProcessStartFailure } from '../errors.js';
import { killOnExit } from './exit-hook.js';
import { decodeReport, LIFELINE_ENV, READY_FD, READY_FD_ENV } from './ready-channel.js';
import { kill, terminate, type StopTarget, type Termination } from './stop.js';

/** How a child's life is tied to this process's. */
export const LIFETIME = {
  /**
   * Outlives this process: its own process group (a Ctrl-C meant for the caller does not
   * reach it), not waited for once ready, output to a log file (`rsb cluster up`'s brokers).
   */
  DETACHED: 'detached',
  /**
   * Its own process group, so a Ctrl-C at the terminal reaches this process alone, which
   * stops it in order; SIGKILLed if this process exits first (a load run's mocks).
   */
  OWN_GROUP: 'own-group',
  /**
   * This process's group, so a Ctrl-C at the terminal reaches it too; SIGKILLed if this
   * process exits first, and able to follow it out however it ends (`exitWithParent`):
   * bench and reliability roles.
   */
  SAME_GROUP: 'same-group',
} as const;
export type Lifetime = (typeof LIFETIME)[keyof typeof LIFETIME];

export interface LaunchOptions {
  /** Named in messages: `broker default-1`, `mock mock-1`, `bench requester`. */
  name: string;
  /** The Node script to run (every process rsb starts is Node: `bin/run.js` or a role script), and its arguments. */
  script: string;
  args: string[];
  lifetime: Lifetime;
  /** Time to say it is ready; then it is killed and the launch fails. */
  readyTimeoutMs: number;
  /**
   * stdout and stderr are appended here (the folder is created); without it they are piped
   * and their last lines kept for failure messages. A detached child needs one: a pipe
   * would break when this process exits.
   */
  logFile?: string;
  /** Written to the log file before the child starts, to tell runs apart. */
  logHeader?: string;
  /** Aborted (Ctrl-C) while it starts: it is stopped again and the launch fails. */
  signal?: AbortSignal;
  /**
   * Runs it inside this network namespace (`ip netns exec NS node …`, a host of the lab):
   * `ip` execs node in place, so the pid is node's, and the ready channel passes through.
   */
  netns?: string;
}

export interface ExitStatus {
  code: number | null;
  signal: NodeJS.Signals | null;
}

/** A child that said it was ready, with what it said. */
export interface LaunchedProcess<Ready> {
  readonly name: string;
  readonly pid: number;
  /** Its ready message (src/process/ready-messages.ts for rsb's commands). */
  readonly ready: Ready;
  readonly isRunning: boolean;
  /** Resolves when it has ended (while this process lives to see it). */
  readonly exited: Promise<ExitStatus>;
  /** SIGTERM, `graceMs`, SIGKILL; resolves once it is gone. */
  stop(graceMs: number): Promise<Termination>;
  /** SIGKILL, as `kill -9` would; resolves once it is gone. */
  kill(): Promise<void>;
}

/** Failure messages quote this much of the child's output. */
const OUTPUT_TAIL_LINES = 20;
/** A log read for its tail: a child that failed at start wrote far less. */
const MAX_LOG_TAIL_BYTES = 64 * 1024;
/** Time an aborted start gives the child to stop cleanly. */
const ABORT_GRACE_MS = 1_000;

/**
 * The one launcher of every child process rsb starts: `node SCRIPT ARGS` with plain output
 * (CI=1), the ready channel on fd 3, and its life tied to this process as `lifetime` says.
 * Resolves once the child reports ready, with its report; fails with ProcessStartError
 * when it exits first (quoting what it reported and the end of its output), does not
 * report in time (it is killed), or the start is aborted (it is stopped).
 */
export async function launchProcess<Ready extends object>(options: LaunchOptions): Promise<LaunchedProcess<Ready>> {
  if (options.lifetime === LIFETIME.DETACHED && options.logFile === undefined) {
    throw new Error(`launchProcess: the detached ${options.name} needs a log file`);
  }
  if (options.signal?.aborted) throw startError(options.name, PROCESS_START_FAILURE.ABORTED, 'was not started: interrupted', [], undefined);
  const output = options.logFile === undefined ? new OutputTail() : LogTail.open(options.logFile, options.logHeader);
  const child = spawnChild(options, output);
  const releaseExitHook = options.lifetime === LIFETIME.DETACHED ? undefined : killOnExit(() => child.kill('SIGKILL'));
  const exited = new Promise<ExitStatus>((resolve) => child.once('exit', (code, signal) => resolve({ code, signal })));
  void exited.then(() => releaseExitHook?.());
  const target = childTarget(child, exited);
  const ready = await waitForReady<Ready>(child, target, options, output);
  if (options.lifetime === LIFETIME.DETACHED) child.unref();
  return {
    name: options.name,
    pid: child.pid!,
    ready,
    get isRunning() {
      return child.exitCode === null && child.signalCode === null;
    },
    exited,
    stop: (graceMs) => terminate(target, graceMs),
    kill: () => kill(target),
  };
}

function spawnChild(options: LaunchOptions, output: OutputTail | LogTail): ChildProcess {
  const isDetached = options.lifetime === LIFETIME.DETACHED;
  const env: NodeJS.ProcessEnv = { ...process.env, CI: '1', [READY_FD_ENV]: String(READY_FD) };
  if (isDetached) delete env[LIFELINE_ENV];
  else env[LIFELINE_ENV] = 'stdin';
  const out = output instanceof LogTail ? output.fd : 'pipe';
  try {
    const command = [process.execPath, options.script, ...options.args];
    if (options.netns !== undefined) command.unshift('ip', 'netns', 'exec', options.netns);
    const child = spawn(command[0]!, command.slice(1), {
      detached: options.lifetime !== LIFETIME.SAME_GROUP,
      // stdin: /dev/null for a detached child; otherwise a pipe this process holds until it exits (the lifeline).
      stdio: [isDetached ? 'ignore' : 'pipe', out, out, 'pipe'],
      env,
    });
    if (output instanceof OutputTail) output.follow(child);
    // A child that does not read its stdin (or is gone) must not fail this process with EPIPE.
    child.stdin?.on('error', () => {});
    return child;
  } finally {
    if (output instanceof LogTail) output.closeFd();
  }
}

function waitForReady<Ready>(child: ChildProcess, target: StopTarget, options: LaunchOptions, output: OutputTail | LogTail): Promise<Ready> {
  const channel = child.stdio[READY_FD] as Readable;
  return new Promise<Ready>((resolve, reject) => {
    let buffered = '';
    let childReport: ChildFailureReport | undefined;
    let isSettled = false;
    const settle = (then: () => void): void => {
      if (isSettled) return;
      isSettled = true;
      clearTimeout(timer);
      options.signal?.removeEventListener('abort', onAbort);
      child.off('close', onClose);
      child.off('error', onError);
      channel.off('data', onData);
      then();
    };
    const fail = (failure: ProcessStartFailure, detail: string): void =>
      settle(() => reject(startError(options.name, failure, detail, output.lines(), childReport)));
    const onData = (chunk: Buffer): void => {
      buffered += chunk.toString('utf8');
      for (let end = buffered.indexOf('\n'); end >= 0; end = buffered.indexOf('\n')) {
        const report = decodeReport<Ready>(buffered.slice(0, end));
        buffered = buffered.slice(end + 1);
        if (report && 'ready' in report) {
          settle(() => {
            // The child has closed its end; this closes ours, so nothing ties a detached child to this process.
            channel.destroy();
            resolve(report.ready);
          });
          return;
        }
        if (report) childReport = report.failed;
      }
    };
    // 'close', not 'exit': by then the child's last report and output have been read.
    const onClose = (code: number | null, signal: NodeJS.Signals | null): void => fail(PROCESS_START_FAILURE.EXITED, describeExit({ code, signal }));
    const onError = (error: Error): void => {
      if (child.pid === undefined) fail(PROCESS_START_FAILURE.SPAWN_FAILED, `could not be spawned: ${error.message}`);
    };
    const stopThenFail = (stop: Promise<unknown>, failure: ProcessStartFailure, detail: string): void => {
      if (isSettled) return;
      child.off('close', onClose);
      stop.then(
        () => fail(failure, detail),
        (error: unknown) => settle(() => reject(error)),
      );
    };
    const onTimeout = (): void => stopThenFail(kill(target), PROCESS_START_FAILURE.TIMED_OUT, `was not ready within ${formatSeconds(options.readyTimeoutMs)}`);
    const onAbort = (): void => stopThenFail(terminate(target, ABORT_GRACE_MS), PROCESS_START_FAILURE.ABORTED, 'was stopped again: interrupted while it started');
    const timer = setTimeout(onTimeout, options.readyTimeoutMs);
    channel.on('data', onData);
    child.on('close', onClose);
    child.on('error', onError);
    options.signal?.addEventListener('abort', onAbort, { once: true });
  });
}

/** The stop sequence's view of a child of this process: signalled through its handle, so a pid reaped and reused is never hit. */
export function childTarget(child: ChildProcess, exited: Promise<ExitStatus>): StopTarget {
  return {
    pid: child.pid ?? 0,
    signal: (signal) => child.exitCode === null && child.signalCode === null && child.kill(signal),
    waitForExit: (timeoutMs) => {
      if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve(true);
      let timer: NodeJS.Timeout | undefined;
      return Promise.race([
        exited.then(() => true),
        new Promise<boolean>((resolve) => (timer = setTimeout(() => resolve(false), timeoutMs))),
      ]).finally(() => clearTimeout(timer));
    },
  };
}

export function describeExit(status: ExitStatus): string {
  return status.signal ? `was killed by ${status.signal}` : `exited with code ${status.code}`;
}

function startError(name: string, failure: ProcessStartFailure, detail: string, tail: string[], childReport: ChildFailureReport | undefined): ProcessStartError {
  const when = failure === PROCESS_START_FAILURE.EXITED ? ' before it was ready' : '';
  const why = childReport ? ` (${childReport.message})` : '';
  const message = `${name} ${detail}${when}${why}${tail.length ? `:\n${tail.join('\n')}` : ''}`;
  return new ProcessStartError(failure, detail, message, tail, childReport);
}

function formatSeconds(ms: number): string {
  return `${ms / 1000} s`;
}

/** The last lines a piped child wrote on stdout and stderr, both read all along so that it never blocks on a full pipe. */
export class OutputTail {
  private readonly kept: string[] = [];

  follow(child: ChildProcess): void {
    const keep = (text: string): void => {
      this.kept.push(...text.split('\n').filter((line) => line.trim() !== ''));
      if (this.kept.length > OUTPUT_TAIL_LINES) this.kept.splice(0, this.kept.length - OUTPUT_TAIL_LINES);
    };
    child.stdout?.setEncoding('utf8').on('data', keep);
    child.stderr?.setEncoding('utf8').on('data', keep);
  }

  lines(): string[] {
    return [...this.kept];
  }
}

/** A log file the child appends to, and the end of what it wrote in this run (the file may hold earlier runs). */
class LogTail {
  private constructor(
    private readonly file: string,
    readonly fd: number,
    private readonly start: number,
  ) {}

  static open(file: string, header: string | undefined): LogTail {
    mkdirSync(path.dirname(file), { recursive: true });
    const fd = openSync(file, 'a');
    try {
      if (header !== undefined) writeSync(fd, `${header}\n`);
      return new LogTail(file, fd, fstatSync(fd).size);
    } catch (error) {
      closeSync(fd);
      throw error;
    }
  }

  /** The child holds its own copy once spawned. */
  closeFd(): void {
    closeSync(this.fd);
  }

  lines(): string[] {
    const fd = openSync(this.file, 'r');
    try {
      const end = fstatSync(fd).size;
      const from = Math.max(this.start, end - MAX_LOG_TAIL_BYTES);
      const bytes = Buffer.alloc(Math.max(0, end - from));
      const read = readSync(fd, bytes, 0, bytes.length, from);
      return bytes
        .toString('utf8', 0, read)
        .split('\n')
        .filter((line) => line.trim() !== '')
        .slice(-OUTPUT_TAIL_LINES);
    } finally {
      closeSync(fd);
    }
  }
}
