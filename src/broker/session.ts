import { randomUUID } from 'node:crypto';
import {
  answerWireKeepalive,
  decodeFrame,
  ERROR_CODE,
  FLAG,
  FRAME_TYPE,
  FrameHeader,
  isKnownFrameType,
  nameFrameType,
  ProtocolError,
  type AppInfo,
  type ServiceId,
  type SetupDescription,
  type SetupFrame,
  type Transport,
} from '../protocol/index.js';
import { FramedConnection, type ConnectionHandler, type FrameCarrier } from '../transport/framed-connection.js';
import { StreamIdAllocator } from '../transport/stream-ids.js';
import { StreamMap } from '../transport/stream-map.js';
import type { Grant } from './auth.js';
import { PausedSources } from './backpressure.js';
import type { BrokerClock } from './clock.js';
import type { BrokerEvent, EmitEvent } from './events.js';
import { SetupHandshake, type Authenticator } from './handshake.js';
import type { AppRateLimits, TokenBucket } from './rate-limiter.js';
import type { PublishingConnection } from './registry.js';
import { RequestFragments } from './request-fragments.js';
import type { Requester, Router } from './router.js';
import type { ServiceInstance } from './service-instance.js';
import type { StreamLink } from './stream-link.js';
import type { StreamTable } from './stream-table.js';
import type { BrokerStats } from './traffic-stats.js';

/** SETUP: the handshake (handshake.ts) is under way. */
const SESSION_STATE = { SETUP: 0, READY: 1, CLOSED: 2 } as const;
type SessionState = (typeof SESSION_STATE)[keyof typeof SESSION_STATE];

/** What a session works with; one object, shared by every session of a broker. */
export interface SessionPorts {
  readonly clock: BrokerClock;
  readonly maxFrameLength: number;
  /** Where the broker's even stream ids start on each connection (see BrokerOptions.firstStreamIdAfter). */
  readonly firstStreamIdAfter: number;
  /** null when the broker lets anyone in. */
  readonly authenticator: Authenticator | null;
  readonly appLimits: Pick<AppRateLimits, 'bucketFor'>;
  readonly router: Pick<Router, 'route' | 'routeTo' | 'rejectUnrouted'>;
  readonly streams: Pick<StreamTable, 'forward'>;
  readonly stats: Pick<BrokerStats, 'setupsRejected'>;
  readonly emit: EmitEvent;
  /** The session is past SETUP: register what it publishes. */
  onReady(session: Session): void;
  /** The session's connection closed; `wasReady` when it had got past SETUP. */
  onClosed(session: Session, wasReady: boolean, error: Error | undefined): void;
}

/**
 * The broker's side of one connection: its SETUP, what it publishes, and its streams in
 * both roles. Each frame's header is read once into a record the steps share; until the
 * connection is in, frames go to the handshake; then requests go to the router (through
 * reassembly when fragmented), and the frames of open streams to the stream table.
 */
export class Session implements ConnectionHandler, Requester, PublishingConnection {
  readonly connection: FramedConnection;
  readonly connectedAt = Date.now();
  app: AppInfo = { name: 'unknown', uuid: '' };
  services: ServiceId[] = [];
  /** One per service it publishes, once registered. */
  readonly instances: ServiceInstance[] = [];
  /** What its token allows; null when the broker does not authenticate. */
  grant: Grant | null = null;
  /** The rate limit of its app, or null when none applies. */
  appLimit: TokenBucket | null = null;
  keepAliveMs = 0;
  lifetimeMs = 0;
  /** The broker clock (seconds) when this connection last sent anything. */
  lastActivity: number;
  readonly requested = new StreamMap<StreamLink>();
  readonly served = new StreamMap<StreamLink>();
  readonly pausedSources = new PausedSources();
  private readonly ids: StreamIdAllocator;
  private state: SessionState = SESSION_STATE.SETUP;
  /** Until the connection is in; then null. */
  private handshake: SetupHandshake | null;
  /** Created at the first fragmented request, as few connections send one. */
  private fragments: RequestFragments | null = null;
  /** The header of the frame being handled. */
  private readonly header = new FrameHeader();

  constructor(
    carrier: FrameCarrier,
    readonly id: number,
    private readonly ports: SessionPorts,
    /** The listener's transport: tcp, tcps, ws or wss. */
    readonly transport: Transport,
    /** The subject of the client's verified TLS certificate (mTLS), when it showed one. */
    readonly tlsSubject?: string,
  ) {
    this.ids = new StreamIdAllocator(2, (streamId) => this.served.has(streamId), ports.firstStreamIdAfter);
    this.lastActivity = ports.clock.seconds;
    this.handshake = new SetupHandshake(
      {
        fail: (code, message) => this.fail(code, message),
        refuse: (code, message) => this.refuseSetup(code, message),
        pauseReading: () => this.connection.pauseReading(),
        resumeReading: () => this.connection.resumeReading(),
        accept: (setup, description, grant) => this.accept(setup, description, grant),
        replay: (buf, start, end) => this.onFrame(buf, start, end),
      },
      ports.authenticator,
    );
    this.connection = new FramedConnection(carrier, this, { maxFrameLength: ports.maxFrameLength });
  }

  get remoteAddress(): string {
    return this.connection.remoteAddress;
  }

  get isReady(): boolean {
    return this.state === SESSION_STATE.READY;
  }

  get isAwaitingSetup(): boolean {
    return this.state === SESSION_STATE.SETUP;
  }

  get servedCount(): number {
    return this.served.size;
  }

  allocateStreamId(): number {
    return this.ids.next();
  }

  /** Notes activity and the time, and before SETUP checks the first frame's header so garbage is refused without waiting for it all. */
  beforeChunk(chunk: Buffer): boolean {
    const clock = this.ports.clock;
    this.lastActivity = clock.seconds;
    clock.now = performance.now();
    // A WebSocket message is a whole frame, checked whole; a TCP chunk may hold the first bytes of one.
    if (this.handshake !== null && this.handshake.isCheckingFirstBytes && this.connection.isLengthPrefixed) return this.handshake.checkFirstBytes(chunk);
    return true;
  }

  onFrame(buf: Buffer, start: number, end: number): void {
    // After `fail` the rest of the chunk that held the bad frame is not acted on.
    if (!this.connection.isOpen) return;
    try {
      if (this.state === SESSION_STATE.READY) this.dispatch(this.header.read(buf, start, end));
      else this.handshake?.onFrame(buf, start, end);
    } catch (error) {
      // A frame whose lengths do not add up ends its connection, never the broker.
      if (!(error instanceof ProtocolError)) throw error;
      this.fail(ERROR_CODE.CONNECTION_ERROR, error.message);
    }
  }

  private dispatch(header: FrameHeader): void {
    if (header.streamId === 0) {
      this.onConnectionFrame(header);
      return;
    }
    switch (header.type) {
      case FRAME_TYPE.REQUEST_RESPONSE:
      case FRAME_TYPE.REQUEST_FNF:
      case FRAME_TYPE.REQUEST_STREAM:
      case FRAME_TYPE.REQUEST_CHANNEL:
        this.onRequest(header);
        return;
      case FRAME_TYPE.PAYLOAD:
      case FRAME_TYPE.REQUEST_N:
      case FRAME_TYPE.CANCEL:
      case FRAME_TYPE.ERROR:
      case FRAME_TYPE.EXT:
        // Odd ids are this connection's own requests: one with no link may be a held fragment.
        if (!this.ports.streams.forward(this, header) && (header.streamId & 1) === 1) this.fragments?.onUnlinkedFrame(header);
        return;
      default:
        this.onMisplacedFrame(header);
    }
  }

  private onRequest(header: FrameHeader): void {
    const { type, streamId } = header;
    if ((streamId & 1) === 0) {
      this.fail(ERROR_CODE.CONNECTION_ERROR, `a client opens streams with odd ids, got ${nameFrameType(type)} on stream ${streamId}`);
      return;
    }
    // "Receiving a Request frame on a Stream ID that is already in use MUST be ignored." (Protocol.md, "Stream Identifiers")
    if (this.requested.has(streamId) || (this.fragments !== null && this.fragments.isHolding(streamId))) return;
    if ((type === FRAME_TYPE.REQUEST_STREAM || type === FRAME_TYPE.REQUEST_CHANNEL) && header.readRequestN() === 0) {
      this.connection.sendError(streamId, ERROR_CODE.INVALID, `${nameFrameType(type)} with an initial request N of 0: N must be greater than 0`);
      return;
    }
    if ((header.flags & FLAG.FOLLOWS) === 0) {
      this.ports.router.route(this, header);
      return;
    }
    this.fragments ??= new RequestFragments(this, this.ports.router, this.ports.streams, this.ports.maxFrameLength);
    this.fragments.onFirstFragment(header);
  }

  private onConnectionFrame(header: FrameHeader): void {
    switch (header.type) {
      case FRAME_TYPE.KEEPALIVE:
        if (header.flags & FLAG.RESPOND) {
          this.connection.sendEncoded(answerWireKeepalive(header.buf, header.start, header.end));
        }
        return;
      case FRAME_TYPE.SETUP:
        // A second SETUP changes nothing: the connection keeps its first one.
        return;
      case FRAME_TYPE.METADATA_PUSH:
      case FRAME_TYPE.LEASE:
        // Ends at the broker: nothing a client pushes here is acted on yet.
        return;
      case FRAME_TYPE.ERROR: {
        const frame = decodeFrame(header.buf, header.start, header.end);
        this.emit({ kind: 'peer-error', session: this, message: frame.type === FRAME_TYPE.ERROR ? frame.message : '' });
        this.connection.close();
        return;
      }
      case FRAME_TYPE.RESUME:
      case FRAME_TYPE.RESUME_OK:
        this.fail(ERROR_CODE.CONNECTION_ERROR, `${nameFrameType(header.type)} is only valid when a connection starts, and this broker does not resume`);
        return;
      default:
        this.onMisplacedFrame(header);
    }
  }

  /** A frame type that has no business here: ignored if it says so (IGNORE flag), else the connection ends. */
  private onMisplacedFrame(header: FrameHeader): void {
    if (header.flags & FLAG.IGNORE) return;
    const type = header.type;
    const what = isKnownFrameType(type) ? `${nameFrameType(type)} on stream ${header.streamId}` : `unknown frame type 0x${type.toString(16)}`;
    this.fail(ERROR_CODE.CONNECTION_ERROR, `${what} is not allowed here`);
  }

  /** The connection is in: registered with what it publishes, under its app's rate limit. */
  private accept(frame: SetupFrame, description: SetupDescription, grant: Grant | null): void {
    this.app = description.app ?? { name: 'anonymous', uuid: randomUUID() };
    this.services = description.services;
    this.grant = grant;
    this.appLimit = this.ports.appLimits.bucketFor(this.app.name, this.ports.clock.now);
    this.keepAliveMs = frame.keepAlive;
    this.lifetimeMs = frame.lifetime;
    this.state = SESSION_STATE.READY;
    this.handshake = null;
    this.ports.onReady(this);
  }

  private refuseSetup(code: number, message: string): void {
    this.ports.stats.setupsRejected++;
    this.emit({ kind: 'setup-rejected', session: this, message });
    this.fail(code, message);
  }

  onDrain(): void {
    this.pausedSources.resumeAll();
  }

  onProtocolError(error: ProtocolError): void {
    const code = this.handshake !== null && this.handshake.isAwaitingSetup ? ERROR_CODE.INVALID_SETUP : ERROR_CODE.CONNECTION_ERROR;
    this.fail(code, error.message);
  }

  /** Ends the connection with a connection-level ERROR. */
  fail(code: number, message: string): void {
    if (this.state === SESSION_STATE.CLOSED) return;
    this.emit({ kind: 'connection-error', session: this, message, code });
    this.connection.close(code, message);
  }

  onClose(error: Error | undefined): void {
    if (this.state === SESSION_STATE.CLOSED) return;
    const wasReady = this.state === SESSION_STATE.READY;
    this.state = SESSION_STATE.CLOSED;
    this.handshake?.abandon();
    this.handshake = null;
    this.pausedSources.resumeAll();
    this.ports.onClosed(this, wasReady, error);
  }

  private emit(event: BrokerEvent): void {
    this.ports.emit(event);
  }
}
