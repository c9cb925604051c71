import { UsageError } from '../errors.js';
import { formatBrokerAddress, resolveBrokerAddresses } from '../sdk/brokers.js';
import type { BrokerEndpoint } from './broker-pool.js';
import { checkClusterName, requireClusterState, resolveStateDir } from './state.js';

export interface BrokerTarget {
  /** `--cluster NAME`: every broker in that cluster's state file. */
  cluster?: string | undefined;
  /** `--broker HOST:PORT` (repeatable): where to start; the rest of the cluster is learned from the pushed list. */
  brokers?: readonly (string | { host: string; port: number })[] | undefined;
  stateDir?: string | undefined;
}

export interface ResolvedBrokers {
  endpoints: BrokerEndpoint[];
  /** How they were found, for messages: `cluster default`, `127.0.0.1:9999`... */
  description: string;
}

/**
 * What `--cluster` and `--broker` mean for every client command (mock, call, services,
 * load, the SDK): the brokers of a named cluster from its state file, or the addresses
 * given (src/sdk/brokers.ts) — and with neither, the one broker `rsb start` runs by default.
 */
export function resolveBrokerEndpoints(target: BrokerTarget): ResolvedBrokers {
  const brokers = target.brokers ?? [];
  if (target.cluster !== undefined && brokers.length > 0) {
    throw new UsageError('give --cluster or --broker, not both', 'With --broker, the rest of a cluster is learned from the list its brokers push.');
  }
  if (target.cluster !== undefined) {
    const stateDir = resolveStateDir(target.stateDir);
    const state = requireClusterState(stateDir, checkClusterName(target.cluster));
    return {
      endpoints: state.brokers.map((broker) => ({ id: broker.id, host: broker.host, port: broker.port })),
      description: `cluster ${state.name} (${state.brokers.length} brokers)`,
    };
  }
  const endpoints = resolveBrokerAddresses(brokers);
  return { endpoints, description: endpoints.map(formatBrokerAddress).join(', ') };
}
