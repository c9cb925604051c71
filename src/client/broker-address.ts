import { UsageError } from '../errors.js';
import { DEFAULT_BROKER_PORT } from '../protocol/index.js';

/**
 * How an endpoint reaches a broker. TCP alone today; TLS and WebSocket become more values
 * here, read by the dialers (src/client/lean-dialer.ts, the SDK's), never by the code that
 * passes addresses around.
 */
export const TRANSPORT = { TCP: 'tcp' } as const;
export type Transport = (typeof TRANSPORT)[keyof typeof TRANSPORT];

/**
 * Where a broker is: the one address type of rsb's endpoints. A `--broker` flag, the SDK's
 * `brokers` option, a cluster's state file and a pushed broker list (a BrokerListEntry is
 * one) all come down to it, and every client dials, compares and prints it through the
 * functions of this file.
 */
export interface BrokerAddress {
  /** Absent: TCP. */
  transport?: Transport;
  host: string;
  port: number;
  /** The broker's id in its cluster, once a broker list or a state file named it. */
  id?: string | undefined;
}

export const DEFAULT_BROKER_ADDRESS: BrokerAddress = { host: '127.0.0.1', port: DEFAULT_BROKER_PORT };

/**
 * A broker named in text (a flag, a config value) → its address: `host:port`, `[::1]:port`,
 * `:port` or `port` (the host defaults to 127.0.0.1), plain TCP. The single way text
 * becomes a broker address, so that URIs (`tcp://`, `ws://host:port/path`...) are added
 * here alone. Throws UsageError.
 */
export function parseBrokerAddress(text: string, what = 'broker address'): BrokerAddress {
  return parseHostPort(text, what);
}

/**
 * `host:port`, `[::1]:port`, `:port` or `port` → parts; the host defaults to 127.0.0.1.
 * The grammar of a broker's address, shared with the other addresses rsb takes (a broker's
 * admin API). Throws UsageError.
 */
export function parseHostPort(text: string, what = 'address'): { host: string; port: number } {
  const match = /^(?:\[?([^\]]*?)\]?:)?(\d{1,5})$/.exec(text.trim());
  const port = match ? Number(match[2]) : NaN;
  if (!match || port < 1 || port > 65535) {
    throw new UsageError(`${what} ${JSON.stringify(text)} is not host:port`, 'Write it like 127.0.0.1:9999.');
  }
  return { host: match[1] || '127.0.0.1', port };
}

/**
 * Brokers given as text or addresses → addresses, duplicates dropped; none given → the
 * default broker. An id given with an address is dropped: only a broker list or a state
 * file names a broker, so that a broker given by hand is never left for a wrong name.
 */
export function resolveBrokerAddresses(given: readonly (string | BrokerAddress)[] | undefined): BrokerAddress[] {
  if (!given || given.length === 0) return [{ ...DEFAULT_BROKER_ADDRESS }];
  const seen = new Set<string>();
  const addresses: BrokerAddress[] = [];
  for (const item of given) {
    const { id: _id, ...address } = typeof item === 'string' ? parseBrokerAddress(item) : item;
    const key = formatBrokerAddress(address);
    if (seen.has(key)) continue;
    seen.add(key);
    addresses.push(address);
  }
  return addresses;
}

/** `host:port`, with an IPv6 host in brackets: how every message and report names a broker. */
export function formatBrokerAddress(address: BrokerAddress): string {
  return address.host.includes(':') ? `[${address.host}]:${address.port}` : `${address.host}:${address.port}`;
}

/** Whether two addresses reach the same broker: 127.0.0.1, localhost and ::1 name the same machine. */
export function isSameAddress(a: BrokerAddress, b: BrokerAddress): boolean {
  return a.port === b.port && (a.transport ?? TRANSPORT.TCP) === (b.transport ?? TRANSPORT.TCP) && normalizeHost(a.host) === normalizeHost(b.host);
}

function normalizeHost(host: string): string {
  return host === 'localhost' || host === '::1' || host === '[::1]' ? '127.0.0.1' : host;
}
