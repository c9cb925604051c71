import { closeSync, writeSync } from 'node:fs';
import { encodeReport, LIFELINE_ENV, READY_FD_ENV, type ReadyReport } from './ready-channel.js';

/**
 * The child's side of src/process: a process rsb started says it is ready (or why it
 * failed) on the ready channel, and a bench role may follow its parent out.
 */

/**
 * Tells the parent this process is ready, with what it needs (addresses, ports). A no-op
 * when no parent asked (a user ran the command), and after the first report. Never blocks
 * or fails on a parent that has gone: a detached broker outlives `rsb cluster up`.
 */
export function announceReady(info: object): void {
  report({ pid: process.pid, ready: info });
}

/** Tells the parent why this process is about to fail before it was ready: the error, not a log line to search. */
export function announceFailure(error: Error): void {
  const code = (error as { code?: unknown }).code;
  const errno = ((error as { cause?: { code?: unknown } }).cause)?.code;
  report({
    pid: process.pid,
    failed: { message: error.message, ...(typeof code === 'string' ? { code } : {}), ...(typeof errno === 'string' ? { errno } : {}) },
  });
}

/**
 * Exits as soon as the parent does, however it ends (even SIGKILL, when no exit hook of
 * its can run): a child launched in the parent's process group reads its stdin, a pipe the
 * parent holds and never writes, whose end is the parent's end. For bench roles, which
 * have no other reason to live on.
 */
export function exitWithParent(): void {
  // Only a launcher that holds the other end says so: a stdin of /dev/null would end at once.
  if (process.env[LIFELINE_ENV] !== 'stdin') return;
  process.stdin.on('data', () => {});
  process.stdin.once('end', () => process.exit(0));
  process.stdin.once('error', () => process.exit(0));
}

function report(message: ReadyReport<object>): void {
  const fd = Number(process.env[READY_FD_ENV]);
  if (!Number.isInteger(fd) || fd < 0) return;
  // Once: a second report (a failure after ready) has nowhere to go, and grandchildren must not inherit the channel.
  delete process.env[READY_FD_ENV];
  try {
    writeSync(fd, encodeReport(message));
  } catch (error) {
    // The parent has gone (EPIPE) or closed its end: nobody is waiting, which is fine.
    const code = (error as NodeJS.ErrnoException).code;
    if (code !== 'EPIPE' && code !== 'EBADF') throw error;
  } finally {
    try {
      closeSync(fd);
    } catch (error) {
      // Already closed: nothing to release.
      if ((error as NodeJS.ErrnoException).code !== 'EBADF') throw error;
    }
  }
}
