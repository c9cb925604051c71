import type { ChildFailureReport } from '../errors.js';

/**
 * The ready channel: how a child rsb starts tells it, once, that it is ready and what it
 * listens on — or why it failed. One JSON object on one line, written to file descriptor 3:
 *
 *   {"pid":4242,"ready":{"id":"default-1","host":"127.0.0.1","port":9999,"adminPort":9998}}
 *   {"pid":4242,"failed":{"message":"cannot listen on 127.0.0.1:9999: EADDRINUSE","code":"ERR_LISTEN","errno":"EADDRINUSE"}}
 *
 * Why a descriptor of its own rather than IPC or stdout: stdout and stderr stay human (a
 * cluster broker's go to its log file) and can change freely; a pipe is closed by the child
 * right after its one message, so nothing ties a detached broker to `rsb cluster up` once
 * it is up — IPC would be a channel to disconnect, and works only between Node processes.
 * The parent names the descriptor in READY_FD_ENV, so an `rsb start` run by hand (whose
 * fd 3 may be anything, or nothing) writes nothing.
 */
export const READY_FD_ENV = 'RSB_READY_FD';
/** Set to `stdin` for a child whose stdin is a pipe its parent holds until it exits (`exitWithParent`). */
export const LIFELINE_ENV = 'RSB_LIFELINE';
/** The first descriptor after stdin, stdout and stderr. */
export const READY_FD = 3;

export type ReadyReport<Ready> = { pid: number; ready: Ready } | { pid: number; failed: ChildFailureReport };

export function encodeReport(report: ReadyReport<object>): string {
  return `${JSON.stringify(report)}\n`;
}

/** Reads one line of the channel; undefined for anything but a report (the child is rsb's own, so this is a bug guard, not a parser of strangers). */
export function decodeReport<Ready>(line: string): ReadyReport<Ready> | undefined {
  let value: unknown;
  try {
    value = JSON.parse(line);
  } catch {
    return undefined;
  }
  if (typeof value !== 'object' || value === null || typeof (value as { pid?: unknown }).pid !== 'number') return undefined;
  const report = value as { pid: number; ready?: unknown; failed?: unknown };
  if (typeof report.ready === 'object' && report.ready !== null) return { pid: report.pid, ready: report.ready as Ready };
  const failed = report.failed as Partial<ChildFailureReport> | undefined;
  if (typeof failed?.message === 'string') return { pid: report.pid, failed: failed as ChildFailureReport };
  return undefined;
}
