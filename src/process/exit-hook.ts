import { signalPid } from './stop.js';

/**
 * The one place for "kill everything I started if I exit": every child launched to end
 * with this process, and any pid handed over with `killIfThisProcessExits` (a load run's
 * detached brokers). SIGKILL, synchronously, from the 'exit' event — nothing asynchronous
 * runs there — or at once with `killStartedProcesses` (a second Ctrl-C).
 */
const KILLERS = new Set<() => void>();
let isHookInstalled = false;

/** Registers a way to SIGKILL one process; the returned function unregisters it (call it once the process is gone or stopped). */
export function killOnExit(killNow: () => void): () => void {
  if (!isHookInstalled) {
    isHookInstalled = true;
    process.once('exit', killStartedProcesses);
  }
  const entry = (): void => killNow();
  KILLERS.add(entry);
  return () => {
    KILLERS.delete(entry);
  };
}

/** Hands a process this one did not spawn as its child (a detached broker) to the exit hook; returns the release. */
export function killIfThisProcessExits(pid: number): () => void {
  return killOnExit(() => signalPid(pid, 'SIGKILL'));
}

/** SIGKILLs every process registered to end with this one that still runs. */
export function killStartedProcesses(): void {
  for (const killNow of KILLERS) killNow();
}
