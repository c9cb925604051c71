import { ConnectError, ConnectionClosedError, SetupRejectedError } from '../errors.js';
import {
  answerWireKeepalive,
  createSetupFrame,
  DEFAULT_KEEPALIVE_MS,
  DEFAULT_LIFETIME_MS,
  encodeFrameBody,
  ERROR_CODE,
  formatEndpoint,
  FLAG,
  FRAME_TYPE,
  MIME,
  nameFrameType,
  ProtocolError,
  readWireErrorCode,
  readWireFlags,
  readWireFrameType,
  readWireStreamId,
  decodeFrame,
  WIRE_OFFSET,
  type AppInfo,
  type Authentication,
  type ServiceId,
  type TransportEndpoint,
} from '../protocol/index.js';
import { openCarrier, type TlsClientOptions } from './dial.js';
import { FramedConnection, type ConnectionHandler, type FrameCarrier, type FramedConnectionOptions } from './framed-connection.js';

/** What a requester or responder does with the frames of its streams. */
export interface StreamFrameHandler {
  onStreamFrame(buf: Buffer, start: number, end: number, type: number, flags: number, streamId: number): void;
  /** The connection is gone: whatever waits on it must end now. */
  onConnectionLost(error: Error): void;
}

export interface SetupOptions {
  app?: AppInfo;
  services?: ServiceId[];
  authentication?: Authentication;
  /** A bearer token (JWT) for a broker that authenticates: shorthand for `authentication: { type: 'bearer', token }`. */
  token?: string;
  dataMimeType?: string;
  metadataMimeType?: string;
  keepAliveMs?: number;
  lifetimeMs?: number;
}

export interface PeerConnectOptions extends SetupOptions, FramedConnectionOptions, TransportEndpoint {
  /** tcps and wss: what to trust and show. */
  tls?: TlsClientOptions | undefined;
  connectTimeoutMs?: number;
  /**
   * Pause between SETUP and the first other frame. rsocket-js servers crash when their
   * first TCP chunk holds more than SETUP (docs/sdk.md, "rsocket-js: what to know"), so
   * talking to one needs a few milliseconds here; rsb's broker needs none.
   */
  settleMs?: number;
  /**
   * Hears each METADATA_PUSH (broker events). Given here rather than set after `connect`
   * resolves, because a broker pushes its cluster list as soon as it accepts SETUP,
   * before the handshake completes.
   */
  onMetadataPush?: (metadata: Buffer) => void;
}

/** A stream handler, or a function that builds one around the connection before any frame arrives. */
export type StreamHandlerSource = StreamFrameHandler | ((peer: PeerConnection) => StreamFrameHandler);

/** For a connection whose streams nobody serves yet: stream frames are dropped. */
export const NO_STREAMS: StreamFrameHandler = { onStreamFrame() {}, onConnectionLost() {} };

const HANDSHAKE_DATA = Buffer.from('rsb-handshake');

/**
 * An RSocket connection seen from an endpoint (not the broker): handles the
 * connection-level frames (SETUP, KEEPALIVE, stream-0 ERROR, METADATA_PUSH) and hands
 * stream frames to a requester or responder.
 */
export class PeerConnection implements ConnectionHandler {
  readonly connection: FramedConnection;
  /** Resolves when the connection has closed, with what closed it. */
  readonly closed: Promise<Error | undefined>;
  /** Called with the metadata of each METADATA_PUSH (broker events). */
  onMetadataPush: ((metadata: Buffer) => void) | undefined;
  private resolveClosed!: (error: Error | undefined) => void;
  private handshake: { resolve: () => void; reject: (error: Error) => void } | undefined;
  private isSetupReceived: boolean;
  private keepAliveTimer: NodeJS.Timeout | undefined;
  private framesReceived = 0;
  private lossError: Error | undefined;

  private handler: StreamFrameHandler;

  private constructor(
    carrier: FrameCarrier,
    handler: StreamHandlerSource,
    role: 'client' | 'server',
    options: FramedConnectionOptions,
  ) {
    this.isSetupReceived = role === 'client';
    this.connection = new FramedConnection(carrier, this, options);
    this.closed = new Promise((resolve) => (this.resolveClosed = resolve));
    this.handler = typeof handler === 'function' ? handler(this) : handler;
  }

  /**
   * Connects, sends SETUP and waits until the peer has accepted it. Give the handler as a
   * function of the connection when it must see every stream frame: a broker may route a
   * request to a newly registered service before its handshake completes, and such a
   * frame would otherwise reach a placeholder and be lost.
   */
  static async connect(options: PeerConnectOptions, handler: StreamHandlerSource): Promise<PeerConnection> {
    const carrier = await openCarrier(options, { tls: options.tls, connectTimeoutMs: options.connectTimeoutMs ?? 5_000, maxFrameLength: options.maxFrameLength });
    const peer = new PeerConnection(carrier, handler, 'client', options);
    peer.onMetadataPush = options.onMetadataPush;
    try {
      await peer.performHandshake(options);
    } catch (error) {
      peer.connection.destroy();
      throw error;
    }
    peer.startKeepAlive(options.keepAliveMs ?? DEFAULT_KEEPALIVE_MS, options.lifetimeMs ?? DEFAULT_LIFETIME_MS);
    return peer;
  }

  /** Serves an accepted connection: the client's SETUP is expected first. */
  static accept(carrier: FrameCarrier, handler: StreamHandlerSource, options: FramedConnectionOptions = {}): PeerConnection {
    return new PeerConnection(carrier, handler, 'server', options);
  }

  /** Replaces the stream handler: lets a requester be built around a connection it did not open. */
  setHandler(handler: StreamFrameHandler): void {
    this.handler = handler;
  }

  private async performHandshake(options: PeerConnectOptions): Promise<void> {
    const setup = encodeFrameBody(
      createSetupFrame(
        { app: options.app, services: options.services, authentication: setupAuthentication(options) },
        {
          keepAlive: options.keepAliveMs ?? DEFAULT_KEEPALIVE_MS,
          lifetime: options.lifetimeMs ?? DEFAULT_LIFETIME_MS,
          metadataMimeType: options.metadataMimeType ?? MIME.COMPOSITE_METADATA,
          dataMimeType: options.dataMimeType ?? MIME.OCTET_STREAM,
        },
      ),
    );
    const accepted = new Promise<void>((resolve, reject) => (this.handshake = { resolve, reject }));
    this.connection.sendEncoded(setup);
    this.connection.flush();
    if (options.settleMs) await new Promise((resolve) => setTimeout(resolve, options.settleMs));
    // A KEEPALIVE asking for an answer: the answer proves the SETUP was accepted.
    this.connection.sendFrame({ type: FRAME_TYPE.KEEPALIVE, streamId: 0, flags: FLAG.RESPOND, lastReceivedPosition: 0n, data: HANDSHAKE_DATA });
    this.connection.flush();
    const timeoutMs = options.connectTimeoutMs ?? 5_000;
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<never>((_, reject) => {
      timer = setTimeout(
        () => reject(new ConnectError(`${formatEndpoint(options)} did not answer SETUP within ${timeoutMs} ms`, 'Is it an RSocket server on that transport?')),
        timeoutMs,
      );
    });
    try {
      await Promise.race([accepted, timeout]);
    } finally {
      clearTimeout(timer);
      this.handshake = undefined;
    }
  }

  private startKeepAlive(keepAliveMs: number, lifetimeMs: number): void {
    let lastCount = this.framesReceived;
    let lastChange = Date.now();
    this.keepAliveTimer = setInterval(() => {
      const now = Date.now();
      if (this.framesReceived !== lastCount) {
        lastCount = this.framesReceived;
        lastChange = now;
      } else if (now - lastChange > lifetimeMs) {
        this.lossError = new ConnectionClosedError(`no frame from the peer within its ${lifetimeMs} ms lifetime`);
        this.connection.destroy();
        return;
      }
      this.connection.sendFrame({ type: FRAME_TYPE.KEEPALIVE, streamId: 0, flags: FLAG.RESPOND, lastReceivedPosition: 0n, data: Buffer.alloc(0) });
    }, keepAliveMs);
    this.keepAliveTimer.unref();
  }

  onFrame(buf: Buffer, start: number, end: number): void {
    this.framesReceived++;
    const streamId = readWireStreamId(buf, start);
    const type = readWireFrameType(buf, start);
    if (streamId !== 0 && this.isSetupReceived) {
      this.handler.onStreamFrame(buf, start, end, type, readWireFlags(buf, start), streamId);
      return;
    }
    this.onConnectionFrame(buf, start, end, type);
  }

  private onConnectionFrame(buf: Buffer, start: number, end: number, type: number): void {
    if (!this.isSetupReceived) {
      if (type !== FRAME_TYPE.SETUP) {
        this.connection.close(ERROR_CODE.INVALID_SETUP, `the first frame must be SETUP, got ${nameFrameType(type)}`);
        return;
      }
      this.isSetupReceived = true;
      return;
    }
    switch (type) {
      case FRAME_TYPE.KEEPALIVE: {
        const flags = readWireFlags(buf, start);
        if (flags & FLAG.RESPOND) {
          this.connection.sendEncoded(answerWireKeepalive(buf, start, end));
        } else {
          this.handshake?.resolve();
        }
        return;
      }
      case FRAME_TYPE.ERROR: {
        const code = readWireErrorCode(buf, start, end);
        const message = buf.toString('utf8', start + WIRE_OFFSET.BODY + 4, end);
        this.lossError = this.handshake ? new SetupRejectedError(code, message) : new ConnectionClosedError(`the peer closed the connection: ${message}`);
        this.handshake?.reject(this.lossError);
        this.connection.close();
        return;
      }
      case FRAME_TYPE.METADATA_PUSH: {
        const frame = decodeFrame(buf, start, end);
        if (frame.type === FRAME_TYPE.METADATA_PUSH) this.onMetadataPush?.(frame.metadata);
        return;
      }
      default:
        // SETUP repeated, LEASE, RESUME_OK and the rest: nothing an endpoint here acts on.
        return;
    }
  }

  onProtocolError(error: ProtocolError): void {
    this.lossError = error;
    this.connection.close(ERROR_CODE.CONNECTION_ERROR, error.message);
  }

  onClose(error: Error | undefined): void {
    clearInterval(this.keepAliveTimer);
    const cause = this.lossError ?? error;
    const lost = new ConnectionClosedError(cause ? `connection lost: ${cause.message}` : 'connection closed by the peer', { cause });
    this.handshake?.reject(this.lossError instanceof SetupRejectedError ? this.lossError : lost);
    this.handler.onConnectionLost(lost);
    this.resolveClosed(cause);
  }

  /** Closes after what is queued, and resolves once the socket is gone. */
  async close(): Promise<void> {
    clearInterval(this.keepAliveTimer);
    this.connection.close();
    await this.closed;
  }
}

/** The credentials a SETUP carries: explicit authentication, else a bearer token, else none. */
export function setupAuthentication(options: Pick<SetupOptions, 'authentication' | 'token'>): Authentication | undefined {
  if (options.authentication) return options.authentication;
  return options.token ? { type: 'bearer', token: options.token } : undefined;
}
