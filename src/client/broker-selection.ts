import { UsageError } from '../errors.js';
import { resolveBrokerAddresses, type BrokerAddress } from './broker-address.js';
import { formatBrokerName, isBrokerName, isBrokerNameText, parseBrokerName, parseDnsServer, type BrokerSource } from './broker-name.js';
import { checkClusterName, requireClusterState, resolveStateDir } from './cluster-state.js';

/** Which brokers a command or a program uses: a named cluster, or brokers by address. */
export interface BrokerSelection {
  /** `--cluster NAME`: every broker in that cluster's state file. */
  cluster?: string | undefined;
  /**
   * `--broker HOST:PORT` (repeatable): where to start; the rest of the cluster is learned
   * from the pushed list. `dns:NAME:PORT` stands for every broker behind the name.
   */
  brokers?: readonly (string | BrokerSource)[] | undefined;
  stateDir?: string | undefined;
  /** `--dns-server HOST[:PORT]`: the resolver of the `dns:` names given; the system's otherwise. */
  dnsServer?: string | undefined;
}

/**
 * What `--cluster` and `--broker` mean for every client command (mock, call, services,
 * load, gateway, proxy) and the SDK: the brokers of a named cluster from its state file,
 * or the addresses given — and with neither, the one broker `rsb start` runs by default.
 */
export function resolveBrokerSources(selection: BrokerSelection): BrokerSource[] {
  const brokers = selection.brokers ?? [];
  if (selection.cluster !== undefined && brokers.length > 0) {
    throw new UsageError('give --cluster or --broker, not both', 'With --broker, the rest of a cluster is learned from the list its brokers push.');
  }
  if (selection.cluster !== undefined) {
    const stateDir = resolveStateDir(selection.stateDir);
    const state = requireClusterState(stateDir, checkClusterName(selection.cluster));
    return state.brokers.map((broker) => ({ id: broker.id, host: broker.host, port: broker.port }));
  }
  const dnsServer = selection.dnsServer === undefined ? undefined : parseDnsServer(selection.dnsServer);
  const isName = (item: string | BrokerSource): boolean => (typeof item === 'string' ? isBrokerNameText(item) : isBrokerName(item));
  const names = brokers.filter(isName).map((item) => {
    const name = typeof item === 'string' ? parseBrokerName(item, '--broker') : item;
    return isBrokerName(name) && dnsServer !== undefined && name.dnsServer === undefined ? { ...name, dnsServer } : name;
  });
  const addresses = brokers.filter((item) => !isName(item)) as (string | BrokerAddress)[];
  // Names alone replace the default broker; with addresses, both are used.
  return names.length > 0 && addresses.length === 0 ? names : [...resolveBrokerAddresses(addresses), ...names];
}

/** resolveBrokerSources for a caller that needs addresses now (no `dns:` name to follow): a name given is a UsageError. */
export function resolveBrokers(selection: BrokerSelection): BrokerAddress[] {
  const sources = resolveBrokerSources(selection);
  const name = sources.find(isBrokerName);
  if (name) throw new UsageError(`${formatBrokerName(name)} is a DNS name, and this needs broker addresses`, 'Give --broker HOST:PORT.');
  return sources as BrokerAddress[];
}
