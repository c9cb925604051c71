import { HAS_PROC_FILESYSTEM, readProcessCpuMicros } from '../process/index.js';
import { roundTo } from './histograms.js';
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

/** The CPU time of a leg's processes: read as it starts; `stop` reads it again as it ends, `price` divides. */
export interface LegCpuWatch {
  /** Reads every process's CPU time again: the end of the leg (a second call changes nothing). */
  stop(): void;
  /** What each process spent per request it handled (`stop` first). */
  price(requests: LegRequests): LegCpu;
}

/**
 * Reads the CPU time of this process (process.cpuUsage: every thread) and of the brokers
 * and mocks rsb started (/proc, in steps of 10 ms) as a leg starts. A process a fault kills
 * or restarts is reported without a figure rather than with a wrong one.
 */
export function watchLegCpu(brokers: readonly WatchedProcess[], mocks: readonly WatchedProcess[]): LegCpuWatch {
  const watchedBrokers = HAS_PROC_FILESYSTEM ? brokers : [];
  const watchedMocks = HAS_PROC_FILESYSTEM ? mocks : [];
  const brokersAtStart = watchedBrokers.map(readCpuMicros);
  const mocksAtStart = watchedMocks.map(readCpuMicros);
  const ownAtStart = process.cpuUsage();
  let spent: { ownUs: number; brokersUs: (number | undefined)[]; mocksUs: (number | undefined)[] } | undefined;
  const spentSince = (atStart: (number | undefined)[]) => (watched: WatchedProcess, i: number): number | undefined => {
    const before = atStart[i];
    const after = readCpuMicros(watched);
    return watched.isFaulted || before === undefined || after === undefined ? undefined : after - before;
  };
  const stop = (): void => {
    if (spent) return;
    const own = process.cpuUsage(ownAtStart);
    spent = { ownUs: own.user + own.system, brokersUs: watchedBrokers.map(spentSince(brokersAtStart)), mocksUs: watchedMocks.map(spentSince(mocksAtStart)) };
  };
  const priceEach = (watched: readonly WatchedProcess[], spentUs: (number | undefined)[], handled: number[]): ProcessCpu[] =>
    watched.flatMap((child, i) => (child.pid === undefined ? [] : [priceProcess(child.name, child.pid, spentUs[i], handled[i] ?? 0)]));
  return {
    stop,
    price(requests) {
      stop();
      return {
        load: priceProcess(LOAD_PROCESS_NAME, process.pid, spent!.ownUs, requests.sent),
        brokers: priceEach(watchedBrokers, spent!.brokersUs, requests.brokers),
        mocks: priceEach(watchedMocks, spent!.mocksUs, requests.mocks),
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
    ...(cpuUs === undefined ? {} : { cpuMs: roundTo(cpuUs / 1000, 3) }),
    ...(cpuUs === undefined || requestCount === 0 ? {} : { cpuUsPerRequest: roundTo(cpuUs / requestCount, 3) }),
  };
}
