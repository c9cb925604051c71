import { HAS_PROC_FILESYSTEM, readProcessCpuMicros } from '../process/index.js';
import type { LegCpu, ProcessCpu } from './results.js';

/** A process rsb started whose CPU time a leg reads. */
export interface WatchedProcess {
  name: string;
  pid: number | undefined;
  /** A fault of the leg kills or restarts it: its CPU time cannot be read across that, so it gets no figure. */
  isFaulted: boolean;
}

/** What each process handled in the leg, to divide its CPU time by. */
export interface LegRequests {
  /** Requests this process sent. */
  sent: number;
  /** Per broker, in the order given: requests answered through it. */
  brokers: number[];
  /** Per mock, in the order given: requests it served. */
  mocks: number[];
}

/** The name this process goes by in the figures. */
export const LOAD_PROCESS_NAME = 'rsb load';

/**
 * Reads the CPU time of this process (process.cpuUsage: every thread) and of the brokers
 * and mocks rsb started (/proc, in steps of 10 ms) as a leg starts; `finish` reads them
 * again and divides by what each handled. A process a fault kills or restarts is reported
 * without a figure rather than with a wrong one.
 */
export function watchLegCpu(brokers: readonly WatchedProcess[], mocks: readonly WatchedProcess[]): { finish(requests: LegRequests): LegCpu } {
  const ownAtStart = process.cpuUsage();
  const watchedBrokers = HAS_PROC_FILESYSTEM ? brokers : [];
  const watchedMocks = HAS_PROC_FILESYSTEM ? mocks : [];
  const brokersAtStart = watchedBrokers.map(readCpuMicros);
  const mocksAtStart = watchedMocks.map(readCpuMicros);
  return {
    finish(requests) {
      const own = process.cpuUsage(ownAtStart);
      const measure = (handled: number[], atStart: (number | undefined)[]) => (watched: WatchedProcess, i: number): ProcessCpu[] => {
        if (watched.pid === undefined) return [];
        const atEnd = readCpuMicros(watched);
        const before = atStart[i];
        const cpuUs = watched.isFaulted || before === undefined || atEnd === undefined ? undefined : atEnd - before;
        return [priceProcess(watched.name, watched.pid, cpuUs, handled[i] ?? 0)];
      };
      return {
        load: priceProcess(LOAD_PROCESS_NAME, process.pid, own.user + own.system, requests.sent),
        brokers: watchedBrokers.flatMap(measure(requests.brokers, brokersAtStart)),
        mocks: watchedMocks.flatMap(measure(requests.mocks, mocksAtStart)),
      };
    },
  };
}

function readCpuMicros(watched: WatchedProcess): number | undefined {
  return watched.pid === undefined ? undefined : readProcessCpuMicros(watched.pid);
}

function priceProcess(name: string, pid: number, cpuUs: number | undefined, requests: number): ProcessCpu {
  const requestCount = Math.round(requests);
  return {
    name,
    pid,
    requests: requestCount,
    ...(cpuUs === undefined ? {} : { cpuMs: cpuUs / 1000 }),
    ...(cpuUs === undefined || requestCount === 0 ? {} : { cpuUsPerRequest: cpuUs / requestCount }),
  };
}
