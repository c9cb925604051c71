import { checkClusterName, DEFAULT_CLUSTER_NAME, readClusterState, resolveStateDir, stateFilePath } from '../client/index.js';
import { TERMINATION, type Termination } from '../process/index.js';
import { isBrokerProcess, stopBrokerProcess } from './broker-processes.js';
import { lockCluster, removeClusterState } from './state.js';

const DEFAULT_STOP_GRACE_MS = 5_000;

export interface StopClusterOptions {
  name?: string;
  stateDir?: string;
  /** Time each broker gets after SIGTERM before SIGKILL. */
  graceMs?: number;
}

export interface StopClusterResult {
  name: string;
  /** False when there was no state for the cluster: nothing to do, and that is fine. */
  wasKnown: boolean;
  brokers: { id: string; pid: number; outcome: Termination }[];
}

/**
 * `rsb cluster down` as a library call: SIGTERM to every broker still running (a pid that
 * now runs another program is left alone), SIGKILL to any that outlives `graceMs`, then
 * the state file and logs are removed. Idempotent: a cluster with no state is a no-op.
 */
export async function stopCluster(options: StopClusterOptions = {}): Promise<StopClusterResult> {
  const stateDir = resolveStateDir(options.stateDir);
  const name = checkClusterName(options.name ?? DEFAULT_CLUSTER_NAME);
  const unlock = lockCluster(stateDir, name);
  try {
    const state = readClusterState(stateDir, name);
    if (!state) return { name, wasKnown: false, brokers: [] };
    const stateFile = stateFilePath(stateDir, name);
    const graceMs = options.graceMs ?? DEFAULT_STOP_GRACE_MS;
    const brokers = await Promise.all(
      state.brokers.map(async (broker) => ({
        id: broker.id,
        pid: broker.pid,
        outcome: isBrokerProcess(broker.pid, broker.id, stateFile) ? await stopBrokerProcess(broker.pid, graceMs) : TERMINATION.NOT_RUNNING,
      })),
    );
    // Only once every broker is gone: a broker still running would lose its cluster file.
    removeClusterState(stateDir, name);
    return { name, wasKnown: true, brokers };
  } finally {
    unlock();
  }
}
