import { createServer, type Server, type Socket } from 'node:net';
import { ListenError } from '../errors.js';
import {
  ERROR_CODE,
  FLAG,
  FRAME_TYPE,
  METADATA_LENGTH_SIZE,
  METADATA_FORMAT,
  readWireDataStart,
  readWirePayloadStart,
  readWireRequestN,
  readWireRoute,
  ProtocolError,
} from '../protocol/index.js';
import { PeerConnection, type PeerConnectOptions, type StreamFrameHandler } from './peer-connection.js';
import { StreamMap } from './stream-map.js';

/** A request as the responder sees it. Data and metadata are views into the received bytes. */
export interface ResponderRequest {
  readonly type: number;
  readonly route: string | null;
  readonly data: Buffer;
  readonly metadata: Buffer | null;
  /** Request-stream and request-channel: items asked for up front. */
  readonly initialN: number;
  /** Request-channel: the requester completed its side with the first frame. */
  readonly isInboundComplete: boolean;
}

/**
 * One request stream being answered. Handlers reply with `next`/`complete`/`error` and
 * may set the `on*` callbacks to hear REQUEST_N, CANCEL and a channel's inbound items.
 */
export class ResponderStream {
  /** Items the requester has asked for and not yet received (request-stream, request-channel). */
  credits: number;
  isDone = false;
  onRequestN: ((n: number) => void) | undefined;
  onCancel: (() => void) | undefined;
  onInboundNext: ((data: Buffer) => void) | undefined;
  onInboundComplete: (() => void) | undefined;

  constructor(
    private readonly owner: ResponderConnection,
    readonly streamId: number,
    readonly type: number,
    initialN: number,
  ) {
    this.credits = initialN;
  }

  /** Sends one item; for request-response this is the answer and ends the stream. */
  next(data: Buffer, metadata: Buffer | null = null, isLast = false): void {
    if (this.isDone) return;
    const ends = isLast || this.type === FRAME_TYPE.REQUEST_RESPONSE;
    if (this.credits !== 0x7fffffff) this.credits--;
    this.owner.peer.connection.sendPayload(this.streamId, ends ? FLAG.NEXT | FLAG.COMPLETE : FLAG.NEXT, metadata, data);
    if (ends) this.finish();
  }

  complete(): void {
    if (this.isDone) return;
    this.owner.peer.connection.sendPayload(this.streamId, FLAG.COMPLETE, null, EMPTY);
    this.finish();
  }

  /**
   * Request-channel: lets the requester send `n` more items. A requester may send
   * nothing after REQUEST_CHANNEL until the responder grants credit (Protocol.md,
   * "Request Channel"); a lean requester completes its side in its first frame instead.
   */
  requestInbound(n: number): void {
    if (!this.isDone) this.owner.peer.connection.sendRequestN(this.streamId, n);
  }

  error(code: number, message: string): void {
    if (this.isDone) return;
    this.owner.peer.connection.sendError(this.streamId, code, message);
    this.finish();
  }

  /** Ends the stream's bookkeeping without sending anything (fire-and-forget, or after CANCEL). */
  finish(): void {
    this.isDone = true;
    this.owner.forget(this.streamId);
  }
}

const EMPTY = Buffer.alloc(0);

export interface ResponderHandler {
  handle(stream: ResponderStream, request: ResponderRequest): void;
}

/** Answers every request with its own data: the benchmark's service. */
export const ECHO_HANDLER: ResponderHandler = {
  handle(stream, request) {
    if (request.type === FRAME_TYPE.REQUEST_FNF) return stream.finish();
    if (request.type === FRAME_TYPE.REQUEST_CHANNEL) {
      stream.onInboundNext = (data) => stream.next(data);
      stream.onInboundComplete = () => stream.complete();
      stream.next(request.data);
      if (request.isInboundComplete) stream.complete();
      return;
    }
    stream.next(request.data, null, true);
  },
};

/**
 * The project's own responder over `src/protocol`, on one connection: to a broker as a
 * registered service, or accepted directly from a requester (no broker in between).
 */
export class ResponderConnection implements StreamFrameHandler {
  private readonly open = new StreamMap<ResponderStream>();

  constructor(
    readonly peer: PeerConnection,
    private readonly handler: ResponderHandler,
  ) {
    peer.setHandler(this);
  }

  get openStreams(): number {
    return this.open.size;
  }

  forget(streamId: number): void {
    this.open.delete(streamId);
  }

  onStreamFrame(buf: Buffer, start: number, end: number, type: number, flags: number, streamId: number): void {
    switch (type) {
      case FRAME_TYPE.REQUEST_RESPONSE:
      case FRAME_TYPE.REQUEST_FNF:
      case FRAME_TYPE.REQUEST_STREAM:
      case FRAME_TYPE.REQUEST_CHANNEL:
        this.onRequest(buf, start, end, type, flags, streamId);
        return;
      case FRAME_TYPE.REQUEST_N: {
        const stream = this.open.get(streamId);
        if (!stream) return;
        const n = readWireRequestN(buf, start, end);
        stream.credits = Math.min(0x7fffffff, stream.credits + n);
        stream.onRequestN?.(n);
        return;
      }
      case FRAME_TYPE.CANCEL: {
        const stream = this.open.get(streamId);
        if (!stream) return;
        stream.finish();
        stream.onCancel?.();
        return;
      }
      case FRAME_TYPE.PAYLOAD: {
        const stream = this.open.get(streamId);
        if (!stream) return;
        if (flags & FLAG.NEXT) stream.onInboundNext?.(buf.subarray(readWireDataStart(buf, start, end), end));
        if (flags & FLAG.COMPLETE) stream.onInboundComplete?.();
        return;
      }
      case FRAME_TYPE.ERROR: {
        const stream = this.open.get(streamId);
        if (!stream) return;
        stream.finish();
        stream.onCancel?.();
        return;
      }
    }
  }

  private onRequest(buf: Buffer, start: number, end: number, type: number, flags: number, streamId: number): void {
    let request: ResponderRequest;
    try {
      const dataStart = readWireDataStart(buf, start, end);
      const hasMetadata = (flags & FLAG.METADATA) !== 0;
      const metadataStart = readWirePayloadStart(buf, start) + METADATA_LENGTH_SIZE;
      request = {
        type,
        route: readWireRoute(buf, start, end, METADATA_FORMAT.COMPOSITE),
        data: buf.subarray(dataStart, end),
        metadata: hasMetadata ? buf.subarray(metadataStart, dataStart) : null,
        initialN: type === FRAME_TYPE.REQUEST_STREAM || type === FRAME_TYPE.REQUEST_CHANNEL ? readWireRequestN(buf, start, end) : 0,
        isInboundComplete: type !== FRAME_TYPE.REQUEST_CHANNEL || (flags & FLAG.COMPLETE) !== 0,
      };
    } catch (error) {
      if (!(error instanceof ProtocolError)) throw error;
      this.peer.connection.close(ERROR_CODE.CONNECTION_ERROR, error.message);
      return;
    }
    const stream = new ResponderStream(this, streamId, type, request.initialN);
    if (type !== FRAME_TYPE.REQUEST_FNF) this.open.set(streamId, stream);
    try {
      this.handler.handle(stream, request);
    } catch (error) {
      stream.error(ERROR_CODE.APPLICATION_ERROR, error instanceof Error ? error.message : String(error));
    }
  }

  onConnectionLost(): void {
    for (const stream of this.open.toArray()) {
      stream.isDone = true;
      stream.onCancel?.();
    }
    this.open.clear();
  }

  /** Connects to a broker (or any RSocket server) and answers what it routes here. */
  static async connect(options: PeerConnectOptions, handler: ResponderHandler): Promise<ResponderConnection> {
    // Built with the connection, so that a request routed here during the handshake is served.
    let responder: ResponderConnection | undefined;
    await PeerConnection.connect(options, (peer) => (responder = new ResponderConnection(peer, handler)));
    return responder!;
  }
}

/** Accepts requesters directly: the no-broker baseline of benchmarks and load runs. */
export class ResponderServer {
  private readonly connections = new Set<ResponderConnection>();
  private readonly server: Server;
  port = 0;

  private constructor(private readonly handler: ResponderHandler) {
    this.server = createServer((socket) => this.accept(socket));
  }

  static async listen(options: { host: string; port: number }, handler: ResponderHandler): Promise<ResponderServer> {
    const responderServer = new ResponderServer(handler);
    await responderServer.bind(options.host, options.port);
    return responderServer;
  }

  private bind(host: string, port: number): Promise<void> {
    return new Promise((resolve, reject) => {
      this.server.once('error', (error: NodeJS.ErrnoException) =>
        reject(new ListenError(`cannot listen on ${host}:${port}: ${error.code ?? error.message}`, undefined, { cause: error })),
      );
      this.server.listen(port, host, () => {
        const address = this.server.address();
        this.port = typeof address === 'object' && address ? address.port : port;
        resolve();
      });
    });
  }

  private accept(socket: Socket): void {
    let connection!: ResponderConnection;
    const peer = PeerConnection.accept(socket, (accepted) => (connection = new ResponderConnection(accepted, this.handler)));
    this.connections.add(connection);
    void peer.closed.then(() => this.connections.delete(connection));
  }

  async close(): Promise<void> {
    const closed = new Promise<void>((resolve) => this.server.close(() => resolve()));
    for (const connection of this.connections) connection.peer.connection.destroy();
    await closed;
  }
}
