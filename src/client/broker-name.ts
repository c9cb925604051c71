import { isIP } from 'node:net';
import { UsageError } from '../errors.js';
import { parseBrokerAddress, type BrokerAddress } from './broker-address.js';

/**
 * A DNS name standing for every broker behind it (a Kubernetes headless Service, the
 * lab's dnsmasq): each A and AAAA record of the name is one broker, re-resolved on an
 * interval, so that brokers the answer adds are joined and those it drops are left.
 * Written `dns:NAME:PORT` (plain TCP), or `dns+URI` for another transport, the name in
 * the URI's host (`dns+tcps://brokers.rsb:9443`, `dns+ws://brokers.rsb:8080/rsocket`):
 * each address found takes the name's place in the URI, which the broker address parser
 * reads as usual.
 */
export interface BrokerName {
  dnsName: string;
  port: number;
  /** The URI each address goes into (`{host}` where the address goes); absent: `host:port` over TCP. */
  uriTemplate?: string | undefined;
  /** The resolver, `HOST[:PORT]` (`--dns-server`); absent: the system's. */
  dnsServer?: string | undefined;
  /** How often the name is resolved again; absent: DEFAULT_DNS_INTERVAL_MS. */
  intervalMs?: number | undefined;
}

/** Something a client is told to reach: one broker by address, or every broker behind a name. */
export type BrokerSource = BrokerAddress | BrokerName;

/** A name is resolved again this often unless told otherwise: a new broker is joined within it. */
export const DEFAULT_DNS_INTERVAL_MS = 5_000;

const HOST_TOKEN = '{host}';
/** A DNS name: labels of letters, digits, `-` and `_` (SRV-style labels), dot-separated, optionally dot-terminated. */
const DNS_NAME = /^(?=.{1,253}\.?$)[A-Za-z0-9_](?:[A-Za-z0-9_-]{0,61}[A-Za-z0-9_])?(?:\.[A-Za-z0-9_](?:[A-Za-z0-9_-]{0,61}[A-Za-z0-9_])?)*\.?$/;

export function isBrokerName(source: BrokerSource): source is BrokerName {
  return 'dnsName' in source;
}

/** Whether text names brokers through DNS (`dns:` or `dns+`): the caller parses it with parseBrokerName. */
export function isBrokerNameText(text: string): boolean {
  return /^dns[:+]/.test(text.trim());
}

/**
 * `dns:NAME:PORT` or `dns+SCHEME://NAME:PORT[/path]` → a BrokerName. The URI form is
 * checked by parsing it with an address in the name's place, so a transport the address
 * parser does not take fails here, as one sentence. Throws UsageError.
 */
export function parseBrokerName(text: string, what = 'broker'): BrokerName {
  const trimmed = text.trim();
  const shape = 'Write it like dns:brokers.example:9999 (every A/AAAA record of the name, on port 9999).';
  if (trimmed.startsWith('dns:')) {
    const match = /^dns:([^:]+):(\d{1,5})$/.exec(trimmed);
    const port = match ? Number(match[2]) : NaN;
    if (!match || !DNS_NAME.test(match[1]!) || port < 1 || port > 65535) throw new UsageError(`${what} ${JSON.stringify(text)} is not dns:NAME:PORT`, shape);
    return { dnsName: match[1]!, port };
  }
  const match = /^dns\+([a-z][a-z0-9+.-]*):\/\/([^/:]+):(\d{1,5})(\/.*)?$/i.exec(trimmed);
  const port = match ? Number(match[3]) : NaN;
  if (!match || !DNS_NAME.test(match[2]!) || port < 1 || port > 65535) {
    throw new UsageError(`${what} ${JSON.stringify(text)} is not dns:NAME:PORT or dns+SCHEME://NAME:PORT[/PATH]`, shape);
  }
  const uriTemplate = `${match[1]!.toLowerCase()}://${HOST_TOKEN}:${port}${match[4] ?? ''}`;
  // Fails now, as a usage error, when the transport is one the address parser does not take.
  parseBrokerAddress(fillTemplate(uriTemplate, '127.0.0.1'), what);
  return { dnsName: match[2]!, port, uriTemplate };
}

/** How the name is written back: `dns:NAME:PORT`, or the URI form it was given in. */
export function formatBrokerName(name: BrokerName): string {
  return name.uriTemplate ? `dns+${name.uriTemplate.replace(HOST_TOKEN, name.dnsName)}` : `dns:${name.dnsName}:${name.port}`;
}

/** The broker at one address the name resolved to. */
export function addressOfResolved(name: BrokerName, ip: string): BrokerAddress {
  if (!name.uriTemplate) return { host: ip, port: name.port };
  return parseBrokerAddress(fillTemplate(name.uriTemplate, ip.includes(':') ? `[${ip}]` : ip));
}

function fillTemplate(template: string, host: string): string {
  return template.replace(HOST_TOKEN, host);
}

/**
 * `--dns-server HOST[:PORT]` → the form Node's resolver takes (`10.0.0.1`, `10.0.0.1:5353`,
 * `[::1]:5353`). The host must be an IP address: a resolver found by name would need a
 * resolver. Throws UsageError.
 */
export function parseDnsServer(text: string, what = '--dns-server'): string {
  const trimmed = text.trim();
  const match = /^(?:\[([^\]]+)\]|([^:]+))(?::(\d{1,5}))?$/.exec(trimmed) ?? /^()([^[\]]*:[^[\]]*)()$/.exec(trimmed);
  const host = match?.[1] || match?.[2] || '';
  const port = match?.[3] ? Number(match[3]) : undefined;
  if (!match || isIP(host) === 0 || (port !== undefined && (port < 1 || port > 65535))) {
    throw new UsageError(`${what} ${JSON.stringify(text)} is not an IP address with an optional port`, 'Write it like 10.213.7.1 or 127.0.0.1:5353.');
  }
  if (port === undefined) return host;
  return isIP(host) === 6 ? `[${host}]:${port}` : `${host}:${port}`;
}
