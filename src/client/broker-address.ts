import { UsageError } from '../errors.js';
import { DEFAULT_BROKER_PORT, formatEndpoint, isTransport, isWebSocketTransport, TRANSPORT, type Transport } from '../protocol/index.js';

export { TRANSPORT, type Transport };

/**
 * Where a broker is: the one address type of rsb's endpoints. A `--broker` flag, the SDK's
 * `brokers` option, a cluster's state file and a pushed broker list (a BrokerListEntry is
 * one) all come down to it, and every client dials, compares and prints it through the
 * functions of this file. The transport decides how it is dialed (src/transport's
 * `openCarrier`, the SDK's dialer); code that passes addresses around never looks at it.
 * Another form of address (a name to resolve) is another branch of `parseBrokerAddress`
 * and, if it needs one, another field here.
 */
export interface BrokerAddress {
  /** Absent: plain TCP. */
  transport?: Transport;
  host: string;
  port: number;
  /** WebSocket: the path of the upgrade request, `/` when the URI names none. */
  path?: string;
  /** The broker's id in its cluster, once a broker list or a state file named it. */
  id?: string | undefined;
}

export const DEFAULT_BROKER_ADDRESS: BrokerAddress = { host: '127.0.0.1', port: DEFAULT_BROKER_PORT };

const URI_SCHEME = /^([A-Za-z][A-Za-z0-9+.-]*):\/\//;
const URI_FORMS = 'tcp://HOST:PORT, tcps://HOST:PORT, ws://HOST:PORT/PATH, wss://HOST:PORT/PATH, or plain HOST:PORT (TCP)';

/**
 * A broker named in text (a flag, a config value, a pushed list) → its address. A URI
 * names the transport: `tcp://host:port`, `tcps://host:port` (TLS), `ws://host:port/path`,
 * `wss://host:port/path` (WebSocket, plain or TLS; the port defaults to 80 and 443). Plain
 * `host:port`, `[::1]:port`, `:port` or `port` is TCP, with the host defaulting to
 * 127.0.0.1. The single way text becomes a broker address. Throws UsageError.
 */
export function parseBrokerAddress(text: string, what = 'broker address'): BrokerAddress {
  const scheme = URI_SCHEME.exec(text.trim())?.[1]?.toLowerCase();
  return scheme === undefined ? parseHostPort(text, what) : parseBrokerUri(text.trim(), scheme, what);
}

function parseBrokerUri(text: string, scheme: string, what: string): BrokerAddress {
  const quoted = `${what} ${JSON.stringify(text)}`;
  if (!isTransport(scheme)) throw new UsageError(`${quoted} has the unsupported scheme ${scheme}://`, `Write ${URI_FORMS}.`);
  let url: URL;
  try {
    url = new URL(text);
  } catch (error) {
    throw new UsageError(`${quoted} is not a valid URI`, `Write ${URI_FORMS}.`, { cause: error });
  }
  if (url.hostname === '' || url.username !== '' || url.password !== '' || url.hash !== '') {
    throw new UsageError(`${quoted} needs a host and no user, password or #fragment`, `Write ${URI_FORMS}.`);
  }
  const host = url.hostname.startsWith('[') ? url.hostname.slice(1, -1) : url.hostname;
  const isWebSocket = isWebSocketTransport(scheme);
  // WHATWG URLs drop a ws/wss port that is the scheme's default, and know none for tcp/tcps.
  const port = url.port !== '' ? Number(url.port) : scheme === TRANSPORT.WS ? 80 : scheme === TRANSPORT.WSS ? 443 : NaN;
  if (Number.isNaN(port)) throw new UsageError(`${quoted} needs a port`, `Write it like ${scheme}://127.0.0.1:9999.`);
  const path = `${url.pathname || '/'}${url.search}`;
  if (!isWebSocket && path !== '/') {
    throw new UsageError(`${quoted} has a path, which only WebSocket (ws://, wss://) addresses take`, `Write it like ${scheme}://${url.host}.`);
  }
  if (scheme === TRANSPORT.TCP) return { host, port };
  return isWebSocket ? { transport: scheme, host, port, path } : { transport: scheme, host, port };
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

/**
 * How every message and report names a broker: `host:port` on TCP (an IPv6 host in
 * brackets), a URI on the other transports (`tcps://host:port`, `ws://host:port/path`).
 */
export function formatBrokerAddress(address: BrokerAddress): string {
  return formatEndpoint(address);
}

/** Whether two addresses reach the same broker: same transport, port and path; 127.0.0.1, localhost and ::1 name the same machine. */
export function isSameAddress(a: BrokerAddress, b: BrokerAddress): boolean {
  const transport = a.transport ?? TRANSPORT.TCP;
  return (
    a.port === b.port &&
    transport === (b.transport ?? TRANSPORT.TCP) &&
    normalizeHost(a.host) === normalizeHost(b.host) &&
    (!isWebSocketTransport(transport) || (a.path ?? '/') === (b.path ?? '/'))
  );
}

function normalizeHost(host: string): string {
  return host === 'localhost' || host === '::1' || host === '[::1]' ? '127.0.0.1' : host;
}
