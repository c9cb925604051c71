import { ProcessStopError } from '../errors.js';
import { isProcessRunning } from './proc-readers.js';

export const TERMINATION = {
  /** It ended after SIGTERM. */
  STOPPED: 'stopped',
  /** It outlived the grace period and was killed with SIGKILL. */
  KILLED: 'killed',
  /** It was not running (or the pid now belongs to another program, which is left alone). */
  NOT_RUNNING: 'not-running',
} as const;
export type Termination = (typeof TERMINATION)[keyof typeof TERMINATION];

/** SIGKILL cannot be caught: only a process stuck in the kernel outlives this. */
const SIGKILL_WAIT_MS = 5_000;
const POLL_MS = 20;

/**
 * How the stop sequence reaches one process: by a bare pid (a broker another `rsb cluster
 * up` started), or through this process's own ChildProcess, which cannot signal a pid that
 * was reaped and handed to someone else.
 */
export interface StopTarget {
  readonly pid: number;
  /** Sends the signal; false when there is no such process (any more). */
  signal(signal: NodeJS.Signals): boolean;
  /** Resolves true once it has ended (a zombie has), false after `timeoutMs`. */
  waitForExit(timeoutMs: number): Promise<boolean>;
}

/** The one stop sequence: SIGTERM, `graceMs` to end, then SIGKILL; resolves once it is gone. */
export async function terminate(target: StopTarget, graceMs: number): Promise<Termination> {
  if (!target.signal('SIGTERM')) return TERMINATION.NOT_RUNNING;
  if (await target.waitForExit(graceMs)) return TERMINATION.STOPPED;
  await kill(target);
  return TERMINATION.KILLED;
}

/** SIGKILL (as `kill -9` would: a fault, or the last resort) and wait until it is gone. */
export async function kill(target: StopTarget): Promise<void> {
  target.signal('SIGKILL');
  if (!(await target.waitForExit(SIGKILL_WAIT_MS))) {
    throw new ProcessStopError(`process ${target.pid} survived SIGKILL for ${SIGKILL_WAIT_MS / 1000} s`, `Check it with \`ps -p ${target.pid}\`.`);
  }
}

/** A process known only by its pid: signalled with kill(2), watched through /proc until it ends or turns zombie. */
export function targetPid(pid: number): StopTarget {
  return {
    pid,
    signal: (signal) => signalPid(pid, signal),
    waitForExit: async (timeoutMs) => {
      const deadline = Date.now() + timeoutMs;
      while (isProcessRunning(pid)) {
        if (Date.now() > deadline) return false;
        await new Promise((resolve) => setTimeout(resolve, POLL_MS));
      }
      return true;
    },
  };
}

/** SIGTERM, then SIGKILL after `graceMs`, to a process known by its pid; resolves once it is gone. */
export function terminateProcess(pid: number, graceMs: number): Promise<Termination> {
  return terminate(targetPid(pid), graceMs);
}

/** SIGKILL to a process known by its pid, and wait until it is gone (or a zombie). */
export function killProcess(pid: number): Promise<void> {
  return kill(targetPid(pid));
}

/** kill(2); false when there is no such process. */
export function signalPid(pid: number, signal: NodeJS.Signals): boolean {
  try {
    process.kill(pid, signal);
    return true;
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ESRCH') return false;
    throw error;
  }
}
