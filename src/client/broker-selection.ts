import { UsageError } from '../errors.js';
import { resolveBrokerAddresses, type BrokerAddress } from './broker-address.js';
import { checkClusterName, requireClusterState, resolveStateDir } from './cluster-state.js';

/** Which brokers a command or a program uses: a named cluster, or brokers by address. */
export interface BrokerSelection {
  /** `--cluster NAME`: every broker in that cluster's state file. */
  cluster?: string | undefined;
  /** `--broker HOST:PORT` (repeatable): where to start; the rest of the cluster is learned from the pushed list. */
  brokers?: readonly (string | BrokerAddress)[] | undefined;
  stateDir?: string | undefined;
}

/**
 * What `--cluster` and `--broker` mean for every client command (mock, call, services,
 * load, gateway, proxy) and the SDK: the brokers of a named cluster from its state file,
 * or the addresses given — and with neither, the one broker `rsb start` runs by default.
 */
export function resolveBrokers(selection: BrokerSelection): BrokerAddress[] {
  const brokers = selection.brokers ?? [];
  if (selection.cluster !== undefined && brokers.length > 0) {
    throw new UsageError('give --cluster or --broker, not both', 'With --broker, the rest of a cluster is learned from the list its brokers push.');
  }
  if (selection.cluster !== undefined) {
    const stateDir = resolveStateDir(selection.stateDir);
    const state = requireClusterState(stateDir, checkClusterName(selection.cluster));
    return state.brokers.map((broker) => ({ id: broker.id, host: broker.host, port: broker.port }));
  }
  return resolveBrokerAddresses(brokers);
}
