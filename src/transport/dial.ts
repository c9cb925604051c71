import { isIP, connect as netConnect, type Socket } from 'node:net';
import { connect as tlsConnect, type ConnectionOptions } from 'node:tls';
import { WebSocket } from 'ws';
import { ConnectError } from '../errors.js';
import { formatEndpoint, formatTransportUri, isTlsTransport, isWebSocketTransport, MAX_FRAME_LENGTH, TRANSPORT, type TransportEndpoint } from '../protocol/index.js';
import type { FrameCarrier } from './framed-connection.js';

/** What a client trusts and shows on TLS (tcps, wss). */
export interface TlsClientOptions {
  /** PEM CAs that sign the brokers' certificates; without it, Node's trusted CAs. */
  ca?: Buffer | undefined;
  /** A client certificate and its key, for brokers that ask for one (mTLS). */
  cert?: Buffer | undefined;
  key?: Buffer | undefined;
  /** Development only: accept any broker certificate, unverified (`--insecure-skip-tls-verify`). */
  isVerificationSkipped?: boolean | undefined;
}

export interface DialOptions {
  tls?: TlsClientOptions | undefined;
  connectTimeoutMs: number;
  /** WebSocket: the largest message accepted from the broker. */
  maxFrameLength?: number | undefined;
}

/**
 * Connects to an endpoint on its transport and resolves once it can carry frames: TCP
 * connected, TLS handshake done (the broker's certificate verified unless told not to),
 * WebSocket upgraded. The one place a client opens a connection to a broker; the lean
 * peers build on it, the SDK's dialer does the same with rsocket-js's transports.
 */
export function openCarrier(endpoint: TransportEndpoint, options: DialOptions): Promise<FrameCarrier> {
  const transport = endpoint.transport ?? TRANSPORT.TCP;
  const name = formatEndpoint(endpoint);
  return isWebSocketTransport(transport) ? openWebSocket(endpoint, name, options) : openStream(endpoint, name, options);
}

/** tcp and tcps. */
function openStream(endpoint: TransportEndpoint, name: string, options: DialOptions): Promise<Socket> {
  const isTls = isTlsTransport(endpoint.transport ?? TRANSPORT.TCP);
  return new Promise((resolve, reject) => {
    const socket = isTls ? tlsConnect(tlsConnectionOptions(endpoint, options.tls)) : netConnect({ host: endpoint.host, port: endpoint.port });
    const timer = setTimeout(() => {
      socket.destroy();
      reject(new ConnectError(`could not connect to ${name} within ${options.connectTimeoutMs} ms`, isTls ? 'Is it a TLS listener (tcps)?' : undefined));
    }, options.connectTimeoutMs);
    socket.once(isTls ? 'secureConnect' : 'connect', () => {
      clearTimeout(timer);
      socket.removeAllListeners('error');
      resolve(socket);
    });
    socket.once('error', (error: NodeJS.ErrnoException) => {
      clearTimeout(timer);
      reject(describeDialFailure(name, error, isTls));
    });
  });
}

/** ws and wss: `ws` does the upgrade; the socket under it is where frames are written. */
function openWebSocket(endpoint: TransportEndpoint, name: string, options: DialOptions): Promise<FrameCarrier> {
  const transport = endpoint.transport ?? TRANSPORT.WS;
  const isTls = transport === TRANSPORT.WSS;
  return new Promise((resolve, reject) => {
    let socket: Socket | undefined;
    const websocket = new WebSocket(formatTransportUri(endpoint), {
      perMessageDeflate: false,
      skipUTF8Validation: true,
      maxPayload: options.maxFrameLength ?? MAX_FRAME_LENGTH,
      handshakeTimeout: options.connectTimeoutMs,
      ...(isTls ? tlsConnectionOptions(endpoint, options.tls) : {}),
    });
    const onUpgrade = (response: { socket: unknown }): void => void (socket = response.socket as Socket);
    const onUnexpectedResponse = (_request: unknown, response: { statusCode?: number }): void => {
      fail(new ConnectError(`${name} refused the WebSocket upgrade with HTTP ${response.statusCode ?? '?'}`, 'Is the path right, and is this origin allowed?'));
    };
    const onError = (error: NodeJS.ErrnoException): void => fail(describeDialFailure(name, error, isTls));
    const onOpen = (): void => {
      stopListening();
      resolve({ websocket, socket: socket!, role: 'client' });
    };
    const stopListening = (): void => {
      websocket.off('upgrade', onUpgrade);
      websocket.off('unexpected-response', onUnexpectedResponse);
      websocket.off('error', onError);
      websocket.off('open', onOpen);
    };
    const fail = (error: Error): void => {
      stopListening();
      // `ws` may still report the failed handshake: nothing listens for it any more.
      websocket.on('error', () => {});
      websocket.terminate();
      reject(error);
    };
    websocket.once('upgrade', onUpgrade);
    websocket.once('unexpected-response', onUnexpectedResponse);
    websocket.once('error', onError);
    websocket.once('open', onOpen);
  });
}

function tlsConnectionOptions(endpoint: TransportEndpoint, tls: TlsClientOptions | undefined): ConnectionOptions {
  return {
    host: endpoint.host,
    port: endpoint.port,
    // SNI takes a host name, never an address (RFC 6066, 3); the certificate is checked against either.
    ...(isIP(endpoint.host) === 0 ? { servername: endpoint.host } : {}),
    ...toTlsTrustOptions(tls),
  };
}

/** The client's TLS settings as `tls.connect` (and `ws`, `https`) take them. */
export function toTlsTrustOptions(tls: TlsClientOptions | undefined): Pick<ConnectionOptions, 'ca' | 'cert' | 'key' | 'rejectUnauthorized'> {
  return {
    ...(tls?.ca ? { ca: tls.ca } : {}),
    ...(tls?.cert ? { cert: tls.cert } : {}),
    ...(tls?.key ? { key: tls.key } : {}),
    rejectUnauthorized: tls?.isVerificationSkipped !== true,
  };
}

/** The error a failed dial becomes, worded the same for every rsb endpoint. */
export function describeDialFailure(name: string, error: NodeJS.ErrnoException, isTls = false): ConnectError {
  const code = error.code ?? error.message;
  let hint: string | undefined;
  if (error.code === 'ECONNREFUSED') hint = 'Is a broker running there? Start one with `rsb start`.';
  else if (isTls && /CERT|SELF_SIGNED|UNABLE_TO_VERIFY|ERR_TLS_CERT/.test(code)) {
    hint = 'Give the CA that signed the broker certificate with --tls-ca FILE (or, for development only, --insecure-skip-tls-verify).';
  } else if (isTls && /SSL|wrong version|ECONNRESET/i.test(code)) hint = 'Is it a TLS listener (tcps, wss)?';
  return new ConnectError(`could not connect to ${name}: ${code}`, hint, { cause: error });
}
