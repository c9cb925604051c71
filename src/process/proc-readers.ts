import { existsSync, readFileSync } from 'node:fs';

/**
 * What the kernel says of a process, read from /proc (Linux): whether it still runs, its
 * command line, its memory and its CPU time. Every reading of a child rsb started goes
 * through here.
 */

/** Whether this machine has /proc: without it (not Linux) command lines, memory and CPU time cannot be read. */
export const HAS_PROC_FILESYSTEM = existsSync('/proc/self/cmdline');

/**
 * /proc/PID/stat counts CPU time in clock ticks of USER_HZ, which Linux fixes at 100 for
 * user space on every architecture Node runs on (sysconf(_SC_CLK_TCK) is not reachable from Node).
 */
const USER_HZ = 100;
const MICROS_PER_TICK = 1_000_000 / USER_HZ;

/** Whether a process with this pid exists and has not ended (a zombie has ended: PID 1 here does not reap orphans). */
export function isProcessRunning(pid: number): boolean {
  try {
    process.kill(pid, 0);
  } catch (error) {
    // EPERM: it exists but belongs to someone else.
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
  const state = readStatFields(pid)?.[0];
  return state === undefined || (state !== 'Z' && state !== 'X');
}

/** A process's arguments; undefined where there is no /proc or the process is gone. */
export function readCommandLine(pid: number): string[] | undefined {
  const text = readProcFile(pid, 'cmdline');
  return text === undefined ? undefined : text.split('\0').filter((arg) => arg !== '');
}

export interface ProcessMemory {
  rssBytes: number;
  peakRssBytes: number;
}

/**
 * A process's resident memory now and at its peak (VmRSS and VmHWM of /proc/PID/status),
 * in bytes; undefined once it is gone (or a zombie), or without /proc. The peak covers the process's
 * whole life, so sampling it now and then misses no spike.
 */
export function readProcessMemory(pid: number): ProcessMemory | undefined {
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

/**
 * CPU time a process has used so far, user and system together, in microseconds (utime
 * and stime of /proc/PID/stat, all its threads, in steps of 10 ms); undefined once it is
 * gone, or without /proc. Two readings apart price what it did in between.
 */
export function readProcessCpuMicros(pid: number): number | undefined {
  const fields = readStatFields(pid);
  // Fields after the command name, from 3 (state): utime is field 14, stime field 15 (proc(5)).
  const utime = Number(fields?.[14 - 3]);
  const stime = Number(fields?.[15 - 3]);
  return Number.isFinite(utime) && Number.isFinite(stime) ? (utime + stime) * MICROS_PER_TICK : undefined;
}

/** /proc/PID/stat from field 3 (state) on; the command name before it may hold spaces and parentheses, so it is cut at the last ')'. */
function readStatFields(pid: number): string[] | undefined {
  const stat = readProcFile(pid, 'stat');
  return stat === undefined ? undefined : stat.slice(stat.lastIndexOf(')') + 2).split(' ');
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
