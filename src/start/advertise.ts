import { networkInterfaces } from 'node:os';
import { isIP } from 'node:net';
import { formatBrokerAddress, parseBrokerAddress, parseHostPort } from '../client/index.js';
import { UsageError } from '../errors.js';

/** One place the broker listens, as the advertised addresses are matched to it. */
export interface Listener {
  /** The URI scheme of its transport: `tcp`, `tcps`, `ws` or `wss`. */
  scheme: string;
  host: string;
  port: number;
  /** WebSocket: the path of its upgrade requests. */
  path?: string | undefined;
}

/** What clients are told of this broker: where it is reached, one URI per listener, and the first TCP one as host and port. */
export interface Advertised {
  host: string;
  port: number;
  uris: string[];
  /** How the address was chosen, for the startup line. */
  reason: string;
}

const WILDCARDS = new Set(['0.0.0.0', '::', '']);
const LOOPBACK = /^(127\.|::1$|localhost$)/;

/**
 * `--advertise URI` (repeatable) → what the broker tells clients. The Nth URI describes the
 * Nth listener, of the same transport (a `host:port` is `tcp://`); a listener without one is
 * advertised by default:
 *
 * - bound to an address: that address;
 * - bound to every address (0.0.0.0, ::): the first non-loopback address of this host
 *   (IPv4 first), since 0.0.0.0 and loopback mean nothing to a client on another host;
 * - loopback everywhere: 127.0.0.1 — a broker for this machine only.
 *
 * Advertising 0.0.0.0 is refused. Throws UsageError.
 */
export function resolveAdvertised(listeners: readonly Listener[], advertise: readonly string[], interfaces = listInterfaceAddresses()): Advertised {
  if (advertise.length > listeners.length) {
    throw new UsageError(
      `${advertise.length} --advertise addresses for ${listeners.length} listener${listeners.length === 1 ? '' : 's'}`,
      'Give one --advertise per listener, in the order of the listeners.',
    );
  }
  const reasons: string[] = [];
  const uris = listeners.map((listener, index) => {
    const given = advertise[index];
    if (given !== undefined) {
      reasons.push('as given by --advertise');
      return readAdvertisedUri(given, listener);
    }
    const { host, reason } = chooseDefaultHost(listener.host, interfaces);
    reasons.push(reason);
    return `${listener.scheme}://${formatBrokerAddress({ host, port: listener.port })}${listener.path ?? ''}`;
  });
  const firstTcp = uris.find((uri) => uri.startsWith('tcp://')) ?? uris[0]!;
  const { host, port } = parseHostPort(firstTcp.slice(firstTcp.indexOf('://') + 3).replace(/\/.*$/, ''));
  return { host, port, uris, reason: reasons[0]! };
}

/** A URI given for a listener, normalized (`host:port` → `tcp://host:port`) and checked against the listener's transport. */
function readAdvertisedUri(text: string, listener: Listener): string {
  const trimmed = text.trim();
  const hasScheme = /^[a-z][a-z0-9+.-]*:\/\//i.test(trimmed);
  const uri = hasScheme ? trimmed : `tcp://${trimmed}`;
  const scheme = uri.slice(0, uri.indexOf('://')).toLowerCase();
  if (scheme !== listener.scheme) {
    throw new UsageError(`--advertise ${JSON.stringify(text)} is ${scheme}, but listener ${listener.scheme}://${listener.host}:${listener.port} is ${listener.scheme}`, 'Give the --advertise addresses in the order of the listeners.');
  }
  // The address parser reads every transport it supports; TCP is checked as host:port here.
  const address = scheme === 'tcp' ? parseHostPort(uri.slice('tcp://'.length), '--advertise') : parseBrokerAddress(uri, '--advertise');
  if (WILDCARDS.has(address.host)) throw new UsageError(`--advertise ${JSON.stringify(text)} names no host a client can reach`, 'Advertise this host\'s address, e.g. its pod IP.');
  return scheme === 'tcp' ? `tcp://${formatBrokerAddress(address)}` : uri;
}

function chooseDefaultHost(bound: string, interfaces: readonly string[]): { host: string; reason: string } {
  if (!WILDCARDS.has(bound)) return { host: bound, reason: 'the address it listens on' };
  const reachable = interfaces.filter((address) => !LOOPBACK.test(address));
  const first = reachable.find((address) => isIP(address) === 4) ?? reachable[0];
  if (first !== undefined) return { host: first, reason: 'the first non-loopback address of this host; set --advertise to choose another' };
  return { host: '127.0.0.1', reason: 'loopback: this host has no other address, so only clients on it can connect; set --advertise' };
}

/** This host's interface addresses, in the order the system lists them (link-local IPv6 left out: it needs a zone). */
export function listInterfaceAddresses(): string[] {
  return Object.values(networkInterfaces())
    .flatMap((entries) => entries ?? [])
    .filter((entry) => !(entry.family === 'IPv6' && entry.address.toLowerCase().startsWith('fe80')))
    .map((entry) => entry.address);
}
