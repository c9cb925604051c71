import { checkClusterName, DEFAULT_CLUSTER_NAME, readClusterState, resolveStateDir, stateFilePath, type LabRecord } from '../client/index.js';
import { ClusterStateError } from '../errors.js';
import { destroyLab, findLabLeftovers } from './host-lab.js';
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
  /** The lab taken down with it (`--hosts`): every namespace, link, the bridge and dnsmasq are gone. */
  lab?: { subnet: string; bridge: string; hosts: number };
}

/** Removes the lab's hosts, bridge and DNS server, and checks that nothing of it is left. */
async function takeDownLab(lab: LabRecord): Promise<void> {
  await destroyLab(lab.tag, lab.dnsPidFile);
  const left = await findLabLeftovers(lab.tag, lab.dnsPidFile);
  if (left.length > 0) throw new ClusterStateError(`the lab's ${left.join(', ')} outlived \`rsb cluster down\``, 'Remove them with `ip netns del` and `ip link del`, then run `rsb cluster down` again.');
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
        outcome: isBrokerProcess(broker.pid, broker.id, stateFile, state.lab) ? await stopBrokerProcess(broker.pid, graceMs) : TERMINATION.NOT_RUNNING,
      })),
    );
    if (state.lab) await takeDownLab(state.lab);
    // Only once every broker is gone: a broker still running would lose its cluster file.
    removeClusterState(stateDir, name);
    return { name, wasKnown: true, brokers, ...(state.lab ? { lab: { subnet: state.lab.subnet, bridge: state.lab.bridge, hosts: state.brokers.length } } : {}) };
  } finally {
    unlock();
  }
}
