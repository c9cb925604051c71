import { DEFAULT_BROKER_PORT } from '../broker/broker.js';
import { parseAddress } from '../cli/parse.js';

/**
 * Where the brokers are. Every command and the SDK resolve broker addresses here, so that
 * a new way of naming them (a cluster's broker list, brokers pushed by a broker) is added
 * in one place.
 */
export interface BrokerAddress {
  host: string;
  port: number;
}

export const DEFAULT_BROKER_ADDRESS: BrokerAddress = { host: '127.0.0.1', port: DEFAULT_BROKER_PORT };

/** `host:port` strings or addresses → addresses, duplicates dropped; none given → the default broker. */
export function resolveBrokerAddresses(given: readonly (string | BrokerAddress)[] | undefined): BrokerAddress[] {
  if (!given || given.length === 0) return [{ ...DEFAULT_BROKER_ADDRESS }];
  const seen = new Set<string>();
  const addresses: BrokerAddress[] = [];
  for (const item of given) {
    const address = typeof item === 'string' ? parseAddress(item, 'broker address') : { host: item.host, port: item.port };
    const key = formatBrokerAddress(address);
    if (seen.has(key)) continue;
    seen.add(key);
    addresses.push(address);
  }
  return addresses;
}

export function formatBrokerAddress(address: BrokerAddress): string {
  return address.host.includes(':') ? `[${address.host}]:${address.port}` : `${address.host}:${address.port}`;
}
