import { randomUUID } from 'node:crypto';
import type { Socket } from 'node:net';
import {
  answerWireKeepalive,
  decodeSetupMetadata,
  decodeWireFrame,
  ERROR_CODE,
  FLAG,
  FRAME_TYPE,
  isKnownFrameType,
  MIME,
  nameFrameType,
  ProtocolError,
  readWireDataStart,
  readWireFlags,
  readWireFrameType,
  readWireRequestN,
  readWireStreamId,
  type AppInfo,
  type ServiceId,
  type SetupDescription,
  type SetupFrame,
  formatServiceKey,
} from '../protocol/index.js';
import { FramedConnection, type ConnectionHandler } from '../transport/framed-connection.js';
import { StreamIdAllocator } from '../transport/stream-ids.js';
import { AuthenticationRefused, type Grant } from './auth.js';
import type { Broker } from './broker.js';
import { FragmentedRequest } from './fragmented-request.js';
import type { TokenBucket } from './rate-limiter.js';
import type { ServiceInstance } from './service-instance.js';
import type { StreamLink } from './stream-link.js';
import { OUTCOME } from './traffic-stats.js';

/** VERIFYING: SETUP was sound and its token is being checked; frames that follow it wait. */
const SESSION_STATE = { AWAITING_SETUP: 0, VERIFYING: 1, READY: 2, CLOSED: 3 } as const;
type SessionState = (typeof SESSION_STATE)[keyof typeof SESSION_STATE];

/** Bytes of a frame up to its type: enough to tell SETUP from garbage before the whole frame arrives. */
const FIRST_HEADER_BYTES = 9;

/**
 * The broker's side of one connection: its SETUP, what it publishes, and its streams in
 * both roles. Frames are handled from their header; request frames go to the router,
 * the rest follow the stream links to the other side.
 */
export class Session implements ConnectionHandler {
  readonly id: number;
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
  /** Streams this connection opened as requester, by its (odd) stream id. */
  readonly requested = new Map<number, StreamLink>();
  /** Streams the broker opened on this connection as responder, by the broker's (even) id. */
  readonly served = new Map<number, StreamLink>();
  /** Fragmented requests waiting for the rest of their route (see FragmentedRequest). */
  private readonly fragmented = new Map<number, FragmentedRequest>();
  /** Connections paused because this one's send queue was full. */
  private readonly blockedSources = new Set<Session>();
  private readonly ids: StreamIdAllocator;
  private state: SessionState = SESSION_STATE.AWAITING_SETUP;
  /** The first bytes seen while the first header is incomplete; null once it has been checked. */
  private firstBytes: Buffer | null = Buffer.alloc(0);
  /** Frames that came after SETUP while its token was being verified, copied (only then). */
  private held: Buffer[] | null = null;

  constructor(
    socket: Socket,
    private readonly broker: Broker,
  ) {
    this.id = broker.nextSessionId();
    this.ids = new StreamIdAllocator(2, (id) => this.served.has(id), broker.options.firstStreamIdAfter);
    this.lastActivity = broker.clock;
    this.connection = new FramedConnection(socket, this, { maxFrameLength: broker.options.maxFrameLength });
  }

  get remoteAddress(): string {
    return this.connection.remoteAddress;
  }

  get isReady(): boolean {
    return this.state === SESSION_STATE.READY;
  }

  get isAwaitingSetup(): boolean {
    return this.state === SESSION_STATE.AWAITING_SETUP || this.state === SESSION_STATE.VERIFYING;
  }

  get servedCount(): number {
    return this.served.size;
  }

  /** Broker-chosen id for a new stream on this connection (even, wrapping, skipping ids in use). */
  allocateStreamId(): number {
    return this.ids.next();
  }

  /** Notes activity and the time, and before SETUP checks the first frame's header so garbage is refused without waiting for it all. */
  beforeChunk(chunk: Buffer): boolean {
    this.lastActivity = this.broker.clock;
    this.broker.now = performance.now();
    if (this.firstBytes !== null) return this.checkFirstBytes(chunk);
    return true;
  }

  private checkFirstBytes(chunk: Buffer): boolean {
    const head = Buffer.concat([this.firstBytes!, chunk.subarray(0, FIRST_HEADER_BYTES)]);
    if (head.length < FIRST_HEADER_BYTES) {
      this.firstBytes = head;
      return true;
    }
    this.firstBytes = null;
    const streamId = readWireStreamId(head, 0);
    const type = readWireFrameType(head, 0);
    if (type !== FRAME_TYPE.SETUP && type !== FRAME_TYPE.RESUME) {
      this.fail(ERROR_CODE.INVALID_SETUP, `the first frame must be SETUP, got ${nameFrameType(type)} on stream ${streamId}`);
      return false;
    }
    if (streamId !== 0) {
      this.fail(ERROR_CODE.INVALID_SETUP, `${nameFrameType(type)} must be on stream 0, got stream ${streamId}`);
      return false;
    }
    return true;
  }

  onFrame(buf: Buffer, start: number, end: number): void {
    // After `fail` the rest of the chunk that held the bad frame is not acted on.
    if (!this.connection.isOpen) return;
    try {
      this.dispatch(buf, start, end);
    } catch (error) {
      // A frame whose lengths do not add up ends its connection, never the broker.
      if (!(error instanceof ProtocolError)) throw error;
      this.fail(ERROR_CODE.CONNECTION_ERROR, error.message);
    }
  }

  private dispatch(buf: Buffer, start: number, end: number): void {
    if (this.state !== SESSION_STATE.READY) {
      if (this.state === SESSION_STATE.AWAITING_SETUP) this.onFirstFrame(buf, start, end);
      else if (this.state === SESSION_STATE.VERIFYING) (this.held ??= []).push(Buffer.from(buf.subarray(start, end)));
      return;
    }
    const streamId = readWireStreamId(buf, start);
    const type = readWireFrameType(buf, start);
    if (streamId === 0) {
      this.onConnectionFrame(buf, start, end, type);
      return;
    }
    switch (type) {
      case FRAME_TYPE.REQUEST_RESPONSE:
      case FRAME_TYPE.REQUEST_FNF:
      case FRAME_TYPE.REQUEST_STREAM:
      case FRAME_TYPE.REQUEST_CHANNEL:
        this.onRequest(buf, start, end, type, streamId);
        return;
      case FRAME_TYPE.PAYLOAD:
      case FRAME_TYPE.REQUEST_N:
      case FRAME_TYPE.CANCEL:
      case FRAME_TYPE.ERROR:
      case FRAME_TYPE.EXT:
        this.onStreamFrame(buf, start, end, type, streamId);
        return;
      default:
        this.onMisplacedFrame(buf, start, type, streamId);
    }
  }

  private onRequest(buf: Buffer, start: number, end: number, type: number, streamId: number): void {
    if ((streamId & 1) === 0) {
      this.fail(ERROR_CODE.CONNECTION_ERROR, `a client opens streams with odd ids, got ${nameFrameType(type)} on stream ${streamId}`);
      return;
    }
    // "Receiving a Request frame on a Stream ID that is already in use MUST be ignored." (Protocol.md, "Stream Identifiers")
    if (this.requested.has(streamId) || this.fragmented.has(streamId)) return;
    if ((type === FRAME_TYPE.REQUEST_STREAM || type === FRAME_TYPE.REQUEST_CHANNEL) && readWireRequestN(buf, start, end) === 0) {
      this.connection.sendError(streamId, ERROR_CODE.INVALID, `${nameFrameType(type)} with an initial request N of 0: N must be greater than 0`);
      return;
    }
    const flags = readWireFlags(buf, start);
    if (flags & FLAG.FOLLOWS) this.onFirstFragment(buf, start, end, type, flags, streamId);
    else this.broker.router.route(this, buf, start, end, type, streamId);
  }

  /** A request in fragments: forwarded at once if its first fragment holds the route, else held until it does. */
  private onFirstFragment(buf: Buffer, start: number, end: number, type: number, flags: number, streamId: number): void {
    const pending = new FragmentedRequest(type, this.broker.options.maxFrameLength);
    pending.add(buf, start, end, flags);
    const route = pending.readRoute(false);
    if (route) {
      this.broker.router.route(this, buf, start, end, type, streamId);
    } else {
      this.fragmented.set(streamId, pending);
    }
  }

  /** A further fragment of a held request: routes the held frames once the route is complete. */
  private onHeldFragment(pending: FragmentedRequest, buf: Buffer, start: number, end: number, type: number, streamId: number): void {
    if (type !== FRAME_TYPE.PAYLOAD) {
      // CANCEL (or ERROR) abandons the request before it was ever forwarded.
      this.fragmented.delete(streamId);
      return;
    }
    const flags = readWireFlags(buf, start);
    pending.add(buf, start, end, flags);
    // Metadata comes before data (Protocol.md, "Fragmentation"): data, no M flag or the last fragment ends it.
    const isMetadataComplete = (flags & FLAG.FOLLOWS) === 0 || (flags & FLAG.METADATA) === 0 || readWireDataStart(buf, start, end) < end;
    const route = pending.readRoute(isMetadataComplete);
    if (route === null) return;
    this.fragmented.delete(streamId);
    const [first, ...rest] = pending.frames;
    if (route === undefined) {
      this.broker.router.rejectUnrouted(this, pending.type, streamId);
      return;
    }
    this.broker.router.routeTo(this, route, first!, 0, first!.length, pending.type, streamId);
    for (const frame of rest) this.onStreamFrame(frame, 0, frame.length, FRAME_TYPE.PAYLOAD, streamId);
  }

  /** PAYLOAD, REQUEST_N, CANCEL, ERROR and EXT: follow the link to the other side. */
  onStreamFrame(buf: Buffer, start: number, end: number, type: number, streamId: number): void {
    // Parity tells the role: odd ids are this connection's own requests, even ids the broker's.
    const isFromRequester = (streamId & 1) === 1;
    const link = isFromRequester ? this.requested.get(streamId) : this.served.get(streamId);
    if (link === undefined) {
      const pending = isFromRequester ? this.fragmented.get(streamId) : undefined;
      if (pending) this.onHeldFragment(pending, buf, start, end, type, streamId);
      // Otherwise the stream has ended (a late PAYLOAD after CANCEL, say): dropped, as the spec asks.
      return;
    }
    // N must be > 0 (Protocol.md, "REQUEST_N Frame"); the spec defines no error for it, so it is dropped.
    if (type === FRAME_TYPE.REQUEST_N && readWireRequestN(buf, start, end) === 0) return;
    const flags = readWireFlags(buf, start);
    const broker = this.broker;
    broker.stats.framesForwarded++;
    if (isFromRequester) {
      broker.relay(this, link.responder, buf, start, end, link.responderId);
      switch (type) {
        case FRAME_TYPE.PAYLOAD:
          if ((flags & FLAG.FOLLOWS) === 0 && (link.type === FRAME_TYPE.REQUEST_FNF || (flags & FLAG.COMPLETE) !== 0)) {
            link.isRequesterDone = true;
            if (link.type === FRAME_TYPE.REQUEST_FNF) link.isResponderDone = true;
          }
          break;
        case FRAME_TYPE.CANCEL:
        case FRAME_TYPE.ERROR:
          if (!link.isResponderDone) link.outcome = OUTCOME.CANCELLED;
          link.isRequesterDone = link.isResponderDone = true;
          break;
      }
    } else {
      broker.relay(this, link.requester, buf, start, end, link.requesterId);
      switch (type) {
        case FRAME_TYPE.PAYLOAD:
          if ((flags & FLAG.FOLLOWS) === 0 && (link.type === FRAME_TYPE.REQUEST_RESPONSE || (flags & FLAG.COMPLETE) !== 0)) {
            link.isResponderDone = true;
          }
          break;
        case FRAME_TYPE.CANCEL:
          // A channel's responder no longer wants the requester's items.
          link.isRequesterDone = true;
          break;
        case FRAME_TYPE.ERROR:
          link.outcome = OUTCOME.ERROR;
          link.isRequesterDone = link.isResponderDone = true;
          break;
      }
    }
    if (link.isRequesterDone && link.isResponderDone) broker.unlink(link);
  }

  private onConnectionFrame(buf: Buffer, start: number, end: number, type: number): void {
    switch (type) {
      case FRAME_TYPE.KEEPALIVE:
        if (readWireFlags(buf, start) & FLAG.RESPOND) {
          this.connection.sendEncoded(answerWireKeepalive(buf, start, end));
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
        const frame = decodeWireFrame(buf, start, end);
        this.broker.log({ kind: 'peer-error', session: this, message: frame.type === FRAME_TYPE.ERROR ? frame.message : '' });
        this.connection.close();
        return;
      }
      case FRAME_TYPE.RESUME:
      case FRAME_TYPE.RESUME_OK:
        this.fail(ERROR_CODE.CONNECTION_ERROR, `${nameFrameType(type)} is only valid when a connection starts, and this broker does not resume`);
        return;
      default:
        this.onMisplacedFrame(buf, start, type, 0);
    }
  }

  /** A frame type that has no business here: ignored if it says so (IGNORE flag), else the connection ends. */
  private onMisplacedFrame(buf: Buffer, start: number, type: number, streamId: number): void {
    if (readWireFlags(buf, start) & FLAG.IGNORE) return;
    const what = isKnownFrameType(type) ? `${nameFrameType(type)} on stream ${streamId}` : `unknown frame type 0x${type.toString(16)}`;
    this.fail(ERROR_CODE.CONNECTION_ERROR, `${what} is not allowed here`);
  }

  private onFirstFrame(buf: Buffer, start: number, end: number): void {
    let frame;
    try {
      frame = decodeWireFrame(buf, start, end);
    } catch (error) {
      if (!(error instanceof ProtocolError)) throw error;
      this.fail(ERROR_CODE.INVALID_SETUP, `malformed first frame: ${error.message}`);
      return;
    }
    if (frame.type === FRAME_TYPE.RESUME) {
      this.fail(ERROR_CODE.REJECTED_RESUME, 'this broker does not support resumption: connect with a new SETUP');
      return;
    }
    if (frame.type !== FRAME_TYPE.SETUP) {
      this.fail(ERROR_CODE.INVALID_SETUP, `the first frame must be SETUP, got ${nameFrameType(frame.type)}`);
      return;
    }
    const checked = this.checkSetup(frame);
    if ('code' in checked) {
      this.refuseSetup(checked.code, checked.message);
      return;
    }
    if (this.broker.authenticator === null) {
      this.accept(frame, checked, null);
      return;
    }
    // Verifying a signature is asynchronous: what follows SETUP waits, unread, until it is done.
    this.state = SESSION_STATE.VERIFYING;
    this.connection.pauseReading();
    this.broker.authenticator.authenticate(checked.authentication).then(
      (grant) => this.onVerified(frame, checked, grant),
      (error: unknown) => {
        if (this.state !== SESSION_STATE.VERIFYING) return;
        const reason = error instanceof AuthenticationRefused ? error.message : `the token could not be checked: ${String(error)}`;
        this.refuseSetup(ERROR_CODE.REJECTED_SETUP, reason);
      },
    );
  }

  private onVerified(frame: SetupFrame, description: SetupDescription, grant: Grant): void {
    if (this.state !== SESSION_STATE.VERIFYING) return;
    const refused = description.services.map(formatServiceKey).find((key) => !grant.mayPublish(key));
    if (refused !== undefined) {
      this.refuseSetup(ERROR_CODE.REJECTED_SETUP, grant.refusePublish(refused));
      return;
    }
    this.accept(frame, description, grant);
    // Reading resumes first: no chunk is handled before the held frames (this runs to its end),
    // and a held request that fills its destination can pause reading again.
    this.connection.resumeReading();
    const held = this.held ?? [];
    this.held = null;
    for (const heldFrame of held) this.onFrame(heldFrame, 0, heldFrame.length);
  }

  private refuseSetup(code: number, message: string): void {
    this.broker.stats.setupsRejected++;
    this.broker.log({ kind: 'setup-rejected', session: this, message });
    this.fail(code, message);
  }

  /** The connection is in: registered with what it publishes, under its app's rate limit. */
  private accept(frame: SetupFrame, description: SetupDescription, grant: Grant | null): void {
    this.app = description.app ?? { name: 'anonymous', uuid: randomUUID() };
    this.services = description.services;
    this.grant = grant;
    this.appLimit = this.broker.appLimits.bucketFor(this.app.name, this.broker.now);
    this.keepAliveMs = frame.keepAlive;
    this.lifetimeMs = frame.lifetime;
    this.state = SESSION_STATE.READY;
    this.broker.onSessionReady(this);
  }

  /** Checks SETUP against what the broker supports; returns why not, or what it describes. */
  private checkSetup(frame: SetupFrame): { code: number; message: string } | SetupDescription {
    if (frame.majorVersion !== 1) {
      return { code: ERROR_CODE.UNSUPPORTED_SETUP, message: `protocol version ${frame.majorVersion}.${frame.minorVersion} is not supported: this broker speaks RSocket 1.x` };
    }
    if (frame.flags & FLAG.RESUME_ENABLE) {
      return { code: ERROR_CODE.REJECTED_SETUP, message: 'resumption is not supported by this broker: connect without a resume token' };
    }
    if (frame.flags & FLAG.LEASE) {
      return { code: ERROR_CODE.UNSUPPORTED_SETUP, message: 'leasing is not supported by this broker: connect without the LEASE flag' };
    }
    if (frame.keepAlive === 0 || frame.lifetime === 0) {
      return { code: ERROR_CODE.INVALID_SETUP, message: 'keepalive interval and max lifetime must both be greater than 0' };
    }
    if (frame.metadataMimeType !== MIME.COMPOSITE_METADATA) {
      return {
        code: ERROR_CODE.UNSUPPORTED_SETUP,
        message: `metadata MIME type ${JSON.stringify(frame.metadataMimeType)} is not supported: use ${MIME.COMPOSITE_METADATA}`,
      };
    }
    try {
      return decodeSetupMetadata(frame.metadata);
    } catch (error) {
      if (!(error instanceof ProtocolError)) throw error;
      return { code: ERROR_CODE.INVALID_SETUP, message: `SETUP metadata: ${error.message}` };
    }
  }

  /** Pauses `source` until this connection's send queue drains. */
  blockSource(source: Session): void {
    if (!this.blockedSources.has(source)) {
      this.blockedSources.add(source);
      source.connection.pauseReading();
    }
  }

  onDrain(): void {
    for (const source of this.blockedSources) source.connection.resumeReading();
    this.blockedSources.clear();
  }

  onProtocolError(error: ProtocolError): void {
    const code = this.state === SESSION_STATE.AWAITING_SETUP ? ERROR_CODE.INVALID_SETUP : ERROR_CODE.CONNECTION_ERROR;
    this.fail(code, error.message);
  }

  /** Ends the connection with a connection-level ERROR. */
  fail(code: number, message: string): void {
    if (this.state === SESSION_STATE.CLOSED) return;
    this.broker.log({ kind: 'connection-error', session: this, message, code });
    this.connection.close(code, message);
  }

  onClose(error: Error | undefined): void {
    if (this.state === SESSION_STATE.CLOSED) return;
    const wasReady = this.state === SESSION_STATE.READY;
    this.state = SESSION_STATE.CLOSED;
    this.onDrain();
    this.broker.onSessionClosed(this, wasReady, error);
  }
}
