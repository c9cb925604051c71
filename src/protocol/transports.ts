/**
 * The transports an rsb broker listens on and a client dials, named by their URI schemes
 * (the names the Alibaba broker and `rsc` use too): RSocket over TCP with a u24 length
 * prefix before each frame, the same inside TLS, and RSocket over WebSocket (one frame per
 * binary message), plain or inside TLS.
 */
export const TRANSPORT = { TCP: 'tcp', TCPS: 'tcps', WS: 'ws', WSS: 'wss' } as const;
export type Transport = (typeof TRANSPORT)[keyof typeof TRANSPORT];

const TRANSPORTS = new Set<string>(Object.values(TRANSPORT));

export function isTransport(scheme: string): scheme is Transport {
  return TRANSPORTS.has(scheme);
}

/** tcps and wss: inside TLS. */
export function isTlsTransport(transport: Transport): boolean {
  return transport === TRANSPORT.TCPS || transport === TRANSPORT.WSS;
}

/** ws and wss: one frame per WebSocket message, no length prefix. */
export function isWebSocketTransport(transport: Transport): boolean {
  return transport === TRANSPORT.WS || transport === TRANSPORT.WSS;
}

/** Where something listens or is dialed, on a transport. */
export interface TransportEndpoint {
  /** Absent: plain TCP. */
  transport?: Transport;
  host: string;
  port: number;
  /** WebSocket: the path of the upgrade request (default `/`). */
  path?: string;
}

/** `tcp://127.0.0.1:9999`, `wss://[::1]:8443/rsocket`: an endpoint as a URI, an IPv6 host in brackets. */
export function formatTransportUri(endpoint: TransportEndpoint): string {
  const transport = endpoint.transport ?? TRANSPORT.TCP;
  return `${transport}://${formatHostPort(endpoint)}${isWebSocketTransport(transport) ? (endpoint.path ?? '/') : ''}`;
}

/** `127.0.0.1:9999`, `[::1]:9999`: a host and port, an IPv6 host in brackets. */
export function formatHostPort({ host, port }: { host: string; port: number }): string {
  return host.includes(':') ? `[${host}]:${port}` : `${host}:${port}`;
}

/**
 * How every message and report names an endpoint: `host:port` on plain TCP, the URI on the
 * other transports (`tcps://host:port`, `ws://host:port/path`).
 */
export function formatEndpoint(endpoint: TransportEndpoint): string {
  return (endpoint.transport ?? TRANSPORT.TCP) === TRANSPORT.TCP ? formatHostPort(endpoint) : formatTransportUri(endpoint);
}
