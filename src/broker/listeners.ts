import { createServer as createHttpServer, type IncomingMessage, type Server as HttpServer } from 'node:http';
import { createServer as createHttpsServer } from 'node:https';
import { createServer as createNetServer, type Server, type Socket } from 'node:net';
import { createServer as createTlsServer, type TLSSocket, type TlsOptions } from 'node:tls';
import { WebSocketServer } from 'ws';
import { ListenError } from '../errors.js';
import { formatTransportUri, isTlsTransport, isWebSocketTransport, TRANSPORT, type Transport } from '../protocol/index.js';
import type { FrameCarrier } from '../transport/framed-connection.js';

/** One address a broker listens on: `--listen URI`. */
export interface ListenerSpec {
  transport: Transport;
  host: string;
  port: number;
  /** WebSocket: the path an upgrade must ask for (default `/`). */
  path?: string;
}

export const TLS_CLIENT_AUTH = { NONE: 'none', REQUEST: 'request', REQUIRE: 'require' } as const;
export type TlsClientAuth = (typeof TLS_CLIENT_AUTH)[keyof typeof TLS_CLIENT_AUTH];

/** The broker's certificate for its tcps and wss listeners, and how it treats client certificates (mTLS). */
export interface BrokerTlsOptions {
  cert: Buffer;
  key: Buffer;
  /** CAs that sign client certificates; without it, Node's trusted CAs. */
  ca?: Buffer;
  /**
   * none: no client certificate asked for; request: asked for, a connection without one
   * is let in, one whose certificate does not verify is not; require: a verified one is needed.
   */
  clientAuth: TlsClientAuth;
}

/** What the listeners share: the TLS material, the WebSocket rules and the handshake bound. */
export interface ListenerSettings {
  tls: BrokerTlsOptions | null;
  /** Largest WebSocket message accepted (the broker's frame limit): `ws` refuses a longer one from its header, with close code 1009. */
  maxFrameLength: number;
  /** Origins a browser's upgrade may come from; empty: any. An upgrade without an Origin header (not a browser) is always let through. */
  wsAllowedOrigins: readonly string[];
  /** Time a connection has to finish its TLS handshake and its WebSocket upgrade (slowloris bound). */
  handshakeTimeoutMs: number;
}

/** A connection a listener accepted, ready to carry frames. */
export interface AcceptedConnection {
  carrier: FrameCarrier;
  transport: Transport;
  /** The subject of the client's verified certificate (`CN=…, O=…`), on TLS with one. */
  tlsSubject?: string;
}

/** A connection that never got to carry frames: a failed TLS handshake, a refused upgrade, a timeout. */
export interface RefusedConnection {
  transport: Transport;
  remoteAddress: string;
  message: string;
}

export interface ListenerPorts {
  accept(connection: AcceptedConnection): void;
  refuse(refusal: RefusedConnection): void;
  /** The listening socket could not take a connection (out of file descriptors: EMFILE); `count` failures since the last report. */
  acceptFailed(failure: { uri: string; message: string; count: number }): void;
}

/** Failures to accept are reported at most this often: a flood of connections while out of descriptors fails every accept. */
const ACCEPT_FAILURE_REPORT_MS = 1_000;

/** A listener once bound: its URI carries the real port. */
export interface BoundListener extends ListenerSpec {
  uri: string;
}

/**
 * One listening socket of a broker, on one transport: plain TCP, TLS (`node:tls`), or
 * RSocket over WebSocket (`ws` on an HTTP or HTTPS server). It turns what connects into
 * carriers of frames for the broker's sessions and knows nothing else of the broker; what
 * never becomes a connection (a TLS handshake that fails or stalls, an upgrade on a wrong
 * path or from a refused origin, one dribbled byte by byte) is closed here and reported.
 */
export class Listener {
  private readonly server: Server;
  private bound: BoundListener | undefined;

  constructor(
    readonly spec: ListenerSpec,
    private readonly settings: ListenerSettings,
    private readonly ports: ListenerPorts,
  ) {
    if (isTlsTransport(spec.transport) && settings.tls === null) {
      throw new ListenError(`${spec.transport}://${spec.host}:${spec.port} needs a certificate`, 'Give --tls-cert and --tls-key.');
    }
    this.server = isWebSocketTransport(spec.transport) ? this.createWebSocketServer() : this.createStreamServer();
  }

  get uri(): string {
    return this.bound?.uri ?? formatTransportUri(this.spec);
  }

  async start(): Promise<BoundListener> {
    const { host, port } = this.spec;
    await new Promise<void>((resolve, reject) => {
      const onListenError = (error: NodeJS.ErrnoException): void => {
        const hint = error.code === 'EADDRINUSE' ? 'Another process listens there: pick another port, or stop it.' : undefined;
        reject(new ListenError(`cannot listen on ${formatTransportUri(this.spec)}: ${error.code ?? error.message}`, hint, { cause: error }));
      };
      this.server.once('error', onListenError);
      this.server.listen(port, host, () => {
        this.server.off('error', onListenError);
        resolve();
      });
    });
    // Once listening, Node reports a failed accept as the server's 'error': with no listener
    // that would end the broker; it is reported instead, and the listener goes on accepting.
    this.server.on('error', (error: NodeJS.ErrnoException) => this.noteAcceptFailure(error));
    const address = this.server.address();
    const boundPort = typeof address === 'object' && address ? address.port : port;
    const spec = { ...this.spec, port: boundPort };
    this.bound = { ...spec, uri: formatTransportUri(spec) };
    return this.bound;
  }

  private acceptFailures = 0;
  private lastAcceptFailureReportAt = 0;

  private noteAcceptFailure(error: NodeJS.ErrnoException): void {
    this.acceptFailures++;
    const now = Date.now();
    if (now - this.lastAcceptFailureReportAt < ACCEPT_FAILURE_REPORT_MS) return;
    this.lastAcceptFailureReportAt = now;
    this.ports.acceptFailed({ uri: this.uri, message: error.code ?? error.message, count: this.acceptFailures });
    this.acceptFailures = 0;
  }

  /** Stops accepting; connections already accepted are the broker's to close. */
  async close(): Promise<void> {
    if (!this.server.listening) return;
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }

  /** tcp and tcps: the socket carries length-prefixed frames as soon as it is in. */
  private createStreamServer(): Server {
    const { transport } = this.spec;
    if (transport === TRANSPORT.TCP) return createNetServer((socket) => this.ports.accept({ carrier: socket, transport }));
    const server = createTlsServer(this.tlsServerOptions(), (socket) => {
      const subject = this.checkClientCertificate(socket);
      if (subject !== null) this.ports.accept({ carrier: socket, transport, ...(subject ? { tlsSubject: subject } : {}) });
    });
    this.reportTlsFailures(server);
    return server;
  }

  /** ws and wss: an HTTP(S) server whose only business is upgrading on the listener's path. */
  private createWebSocketServer(): Server {
    const { transport } = this.spec;
    const path = this.spec.path ?? '/';
    const websockets = new WebSocketServer({
      noServer: true,
      maxPayload: this.settings.maxFrameLength,
      // Frames are binary and already as small as they get; a text message ends the connection unread.
      perMessageDeflate: false,
      skipUTF8Validation: true,
      clientTracking: false,
    });
    const onRequest = (_request: IncomingMessage, response: import('node:http').ServerResponse): void => {
      response.writeHead(426, { connection: 'close', 'content-type': 'text/plain' });
      response.end(`RSocket over WebSocket: upgrade to a WebSocket on ${path}\n`);
    };
    const server: HttpServer = transport === TRANSPORT.WSS ? createHttpsServer(this.tlsServerOptions(), onRequest) : createHttpServer(onRequest);
    // The upgrade request must be in within the handshake time, counted once TLS (if any) is done.
    server.on(transport === TRANSPORT.WSS ? 'secureConnection' : 'connection', (socket: Socket) => this.armHandshakeTimer(socket));
    if (transport === TRANSPORT.WSS) this.reportTlsFailures(server);
    server.on('upgrade', (request: IncomingMessage, socket: Socket, head: Buffer) => {
      const refusal = this.checkUpgrade(request, path);
      if (refusal !== null) {
        this.refuseUpgrade(socket, refusal.status, refusal.message);
        return;
      }
      const subject = transport === TRANSPORT.WSS ? this.checkClientCertificate(socket as TLSSocket) : undefined;
      if (subject === null) return;
      websockets.handleUpgrade(request, socket, head, (websocket) => {
        clearTimeout(handshakeTimers.get(socket));
        this.ports.accept({ carrier: { websocket, socket, role: 'server' }, transport, ...(subject ? { tlsSubject: subject } : {}) });
      });
    });
    return server;
  }

  private checkUpgrade(request: IncomingMessage, path: string): { status: number; message: string } | null {
    if ((request.url ?? '/') !== path) return { status: 404, message: `WebSocket upgrade on ${request.url ?? '/'}: this listener upgrades on ${path}` };
    const origin = request.headers.origin;
    const allowed = this.settings.wsAllowedOrigins;
    if (origin !== undefined && allowed.length > 0 && !allowed.includes(origin)) {
      return { status: 403, message: `WebSocket upgrade from origin ${origin}, which --ws-allowed-origins does not list` };
    }
    return null;
  }

  private refuseUpgrade(socket: Socket, status: number, message: string): void {
    clearTimeout(handshakeTimers.get(socket));
    this.report(socket, message);
    socket.on('error', () => {});
    socket.end(`HTTP/1.1 ${status} ${status === 404 ? 'Not Found' : 'Forbidden'}\r\nconnection: close\r\ncontent-type: text/plain\r\ncontent-length: ${Buffer.byteLength(message) + 1}\r\n\r\n${message}\n`);
    setTimeout(() => socket.destroy(), 2_000).unref();
  }

  private armHandshakeTimer(socket: Socket): void {
    const timeoutMs = this.settings.handshakeTimeoutMs;
    const timer = setTimeout(() => {
      this.report(socket, `no WebSocket upgrade within the handshake timeout of ${timeoutMs} ms`);
      socket.destroy();
    }, timeoutMs);
    timer.unref();
    handshakeTimers.set(socket, timer);
    socket.once('close', () => clearTimeout(timer));
  }

  private tlsServerOptions(): TlsOptions {
    const tls = this.settings.tls!;
    const isAsking = tls.clientAuth !== TLS_CLIENT_AUTH.NONE;
    return {
      cert: tls.cert,
      key: tls.key,
      ...(tls.ca ? { ca: tls.ca } : {}),
      requestCert: isAsking,
      rejectUnauthorized: tls.clientAuth === TLS_CLIENT_AUTH.REQUIRE,
      handshakeTimeout: this.settings.handshakeTimeoutMs,
    };
  }

  /** A TLS handshake that failed or timed out: with a listener on the event, closing the socket is ours to do. */
  private reportTlsFailures(server: Server): void {
    server.on('tlsClientError', (error: Error, socket: TLSSocket) => {
      this.report(socket, `TLS handshake failed: ${error.message}`);
      socket.destroy();
    });
  }

  /**
   * The subject of a verified client certificate, '' when there is none, or null when the
   * connection was closed for presenting one that does not verify (clientAuth request;
   * require is enforced by the handshake itself).
   */
  private checkClientCertificate(socket: TLSSocket): string | null {
    if (this.settings.tls!.clientAuth === TLS_CLIENT_AUTH.NONE) return '';
    const certificate = socket.getPeerCertificate();
    if (certificate === null || Object.keys(certificate).length === 0) return '';
    if (!socket.authorized) {
      this.report(socket, `client certificate refused: ${String(socket.authorizationError)}`);
      socket.destroy();
      return null;
    }
    return Object.entries(certificate.subject ?? {})
      .map(([key, value]) => `${key}=${Array.isArray(value) ? value.join('+') : value}`)
      .join(', ');
  }

  private report(socket: Socket, message: string): void {
    this.ports.refuse({ transport: this.spec.transport, remoteAddress: `${socket.remoteAddress ?? '?'}:${socket.remotePort ?? '?'}`, message });
  }
}

/** Upgrade timers by socket: the `upgrade` event hands over the socket the timer was armed on. */
const handshakeTimers = new WeakMap<Socket, NodeJS.Timeout>();
