import type { Socket } from 'node:net';
import type { WebSocket } from 'ws';
import {
  checkWebSocketMessage,
  encodeFrameBody,
  FLAG,
  FRAME_HEADER_SIZE,
  FRAME_LENGTH_SIZE,
  FRAME_TYPE,
  FRAME_TYPE_SHIFT,
  FrameSplitter,
  MAX_FRAME_LENGTH,
  METADATA_LENGTH_SIZE,
  PROTOCOL_ERROR_CODE,
  ProtocolError,
  readU24,
  writeU24,
  writeWireStreamId,
  type Frame,
  type FrameSink,
} from '../protocol/index.js';
import { flushScheduler, type Flushable } from './flush-scheduler.js';
import { LENGTH_PREFIX_ENVELOPE, WEBSOCKET_CLIENT_ENVELOPE, WEBSOCKET_SERVER_ENVELOPE, type FrameEnvelope } from './frame-envelope.js';
import { LARGE_FRAME_BYTES, OutboundBuffer } from './outbound-buffer.js';

/**
 * A WebSocket carrying frames (the spec's WebSocket transport: one frame per binary
 * message, no length prefix). `ws` reads it — messages, ping/pong, close — and the
 * connection writes its frames, WebSocket headers included, straight to `socket`, the
 * TCP or TLS socket under it, a turn's worth in one write.
 */
export interface WebSocketCarrier {
  readonly websocket: WebSocket;
  readonly socket: Socket;
  /** A client masks what it sends (RFC 6455, 5.3); a server does not. */
  readonly role: 'client' | 'server';
}

/** What a connection's frames travel on: a TCP or TLS socket (length-prefixed frames), or a WebSocket. */
export type FrameCarrier = Socket | WebSocketCarrier;

/** RFC 6455, 7.4.1: the close code after a connection-level ERROR frame has said why. */
const WS_NORMAL_CLOSURE = 1000;
const WS_OPEN = 1;

export interface ConnectionHandler extends FrameSink {
  /** Sees each chunk (each message on WebSocket) before it is split into frames; returning false drops it. */
  beforeChunk?(chunk: Buffer): boolean;
  /** The byte stream broke the framing rules; the connection should end with a CONNECTION_ERROR (on WebSocket `ws` may have closed it already). */
  onProtocolError(error: ProtocolError): void;
  /** The socket closed, with the socket error that closed it if any. Called once. */
  onClose(error: Error | undefined): void;
  /** The socket's send buffer emptied after having been full. */
  onDrain?(): void;
}

export interface FramedConnectionOptions {
  maxFrameLength?: number;
  /** Bytes queued (ours and the socket's) above which `isCongested` turns true. */
  highWaterMark?: number;
}

export const DEFAULT_HIGH_WATER_MARK = 4 * 1024 * 1024;
/**
 * Queued bytes that are written at once rather than at the end of the turn. Without it a
 * chunk of 256 requests crosses requester, broker and service as one convoy, each process
 * idle while another works; writing every 8 KiB lets the next process start early.
 * Measured with `npm run bench` at 256 in flight: ~280k requests/s without, ~600k with.
 */
const EARLY_FLUSH_BYTES = 8 * 1024;

/**
 * One connection carrying RSocket frames, on TCP, TLS or WebSocket: hands what arrives to
 * its handler frame by frame (each frame from its first header byte: a TCP chunk is split
 * in place, a WebSocket message is the frame), and queues what is sent, in the transport's
 * envelope, so that it leaves in one write per event-loop turn. Senders check
 * `isCongested` and stop feeding a connection that cannot keep up.
 */
export class FramedConnection implements Flushable {
  readonly socket: Socket;
  /** Null on TCP and TLS. */
  readonly websocket: WebSocket | null;
  private readonly splitter: FrameSplitter;
  private readonly envelope: FrameEnvelope;
  private readonly out = new OutboundBuffer();
  /**
   * Forwarded frames not yet copied into `out`: `run[runStart, runEnd)` of a received chunk,
   * their stream ids already rewritten in place. Frames that lay side by side in the chunk
   * they came in and go to this same connection are copied together, once.
   */
  private run: Buffer | null = null;
  private runStart = 0;
  private runEnd = 0;
  private readonly highWaterMark: number;
  private isFlushScheduled = false;
  private closeError: Error | undefined;
  private isClosing = false;
  isClosed = false;

  constructor(
    carrier: FrameCarrier,
    private readonly handler: ConnectionHandler,
    options: FramedConnectionOptions = {},
  ) {
    this.splitter = new FrameSplitter(options.maxFrameLength ?? MAX_FRAME_LENGTH);
    this.highWaterMark = options.highWaterMark ?? DEFAULT_HIGH_WATER_MARK;
    const socket = (this.socket = 'websocket' in carrier ? carrier.socket : carrier);
    socket.setNoDelay(true);
    socket.on('error', (error) => {
      this.closeError ??= error;
    });
    socket.on('drain', () => this.handler.onDrain?.());
    if ('websocket' in carrier) {
      const websocket = (this.websocket = carrier.websocket);
      this.envelope = carrier.role === 'client' ? WEBSOCKET_CLIENT_ENVELOPE : WEBSOCKET_SERVER_ENVELOPE;
      websocket.on('message', (message: Buffer, isBinary: boolean) => this.receiveMessage(message, isBinary));
      websocket.on('error', (error) => this.onWebSocketError(error));
      websocket.on('close', () => this.onClosed());
    } else {
      this.websocket = null;
      this.envelope = LENGTH_PREFIX_ENVELOPE;
      socket.on('data', (chunk: Buffer) => this.receive(chunk));
      socket.on('close', () => this.onClosed());
    }
  }

  /** True on TCP and TLS, where frames carry a u24 length prefix; false on WebSocket. */
  get isLengthPrefixed(): boolean {
    return this.websocket === null;
  }

  private onClosed(): void {
    this.isClosed = true;
    this.handler.onClose(this.closeError);
  }

  get remoteAddress(): string {
    return `${this.socket.remoteAddress ?? '?'}:${this.socket.remotePort ?? '?'}`;
  }

  /** Bytes waiting to be sent, in our queue and in the socket's. */
  get bufferedBytes(): number {
    return this.queuedBytes + this.socket.writableLength;
  }

  /** Bytes queued here and not yet handed to the socket. */
  private get queuedBytes(): number {
    return this.out.size + (this.runEnd - this.runStart);
  }

  get isCongested(): boolean {
    return this.bufferedBytes > this.highWaterMark;
  }

  private receive(chunk: Buffer): void {
    if (this.isClosing) return;
    if (this.handler.beforeChunk !== undefined && !this.handler.beforeChunk(chunk)) return;
    try {
      this.splitter.push(chunk, this.handler);
    } catch (error) {
      if (!(error instanceof ProtocolError)) throw error;
      this.handler.onProtocolError(error);
    }
  }

  /** A WebSocket message: one frame, handed over as it is (no copy). */
  private receiveMessage(message: Buffer, isBinary: boolean): void {
    if (this.isClosing) return;
    if (this.handler.beforeChunk !== undefined && !this.handler.beforeChunk(message)) return;
    try {
      if (!isBinary) throw new ProtocolError(PROTOCOL_ERROR_CODE.WEBSOCKET_MESSAGE, 'a text message: RSocket frames travel in binary WebSocket messages');
      checkWebSocketMessage(message);
    } catch (error) {
      if (!(error instanceof ProtocolError)) throw error;
      this.handler.onProtocolError(error);
      return;
    }
    this.handler.onFrame(message, 0, message.length);
  }

  /**
   * `ws` refused what it read (a message over the frame limit, a malformed WebSocket
   * frame) and is closing the connection with the matching close code: the handler hears
   * why, and nothing more is sent.
   */
  private onWebSocketError(error: Error & { code?: string }): void {
    this.closeError ??= error;
    if (this.isClosing) return;
    this.isClosing = true;
    const code = error.code === 'WS_ERR_UNSUPPORTED_MESSAGE_LENGTH' ? PROTOCOL_ERROR_CODE.FRAME_TOO_LONG : PROTOCOL_ERROR_CODE.WEBSOCKET_MESSAGE;
    this.handler.onProtocolError(new ProtocolError(code, `WebSocket: ${error.message}`, { cause: error }));
  }

  /**
   * The broker's forwarding step: queues the frame `buf[start, end)` it received under the
   * stream id it has on this connection, in this connection's envelope — whatever the
   * transport it came on. The id is rewritten where the frame lies (the frame splitter and
   * `ws` never reuse what they hand over), so the bytes must not change until written — and
   * a received frame goes to one connection only: forwarding one frame to several (a
   * fan-out) would need a copy per destination.
   *
   * From TCP or TLS to TCP or TLS the frame still has its length prefix in place before it —
   * the very bytes this connection's envelope would write — and it joins the run of frames
   * bound here if it follows the last one in the same chunk: a chunk of requests for one
   * service, or of answers for one requester, is then copied in one go, prefixes and all,
   * rather than frame by frame, and a run of at least LARGE_FRAME_BYTES is queued as it lies,
   * without a copy. Otherwise (WebSocket on either side) the frame is queued after an
   * envelope of its own.
   */
  forwardFrame(buf: Buffer, start: number, end: number, streamId: number): void {
    if (this.isClosing) return;
    const prefixAt = start - FRAME_LENGTH_SIZE;
    if (!this.isLengthPrefixed || prefixAt < 0 || readU24(buf, prefixAt) !== end - start) {
      this.queueFrame(buf, start, end, streamId, true);
      return;
    }
    writeWireStreamId(buf, start, streamId);
    if (buf === this.run && prefixAt === this.runEnd) {
      this.runEnd = end;
    } else {
      this.queueRun();
      this.run = buf;
      this.runStart = prefixAt;
      this.runEnd = end;
    }
    this.scheduleFlush();
  }

  /** Moves the run of forwarded frames into the outbound queue; every other send calls it first, so frames leave in the order they were queued. */
  private queueRun(): void {
    const run = this.run;
    if (run === null) return;
    const size = this.runEnd - this.runStart;
    if (size >= LARGE_FRAME_BYTES) {
      this.out.appendReference(run.subarray(this.runStart, this.runEnd));
    } else {
      run.copy(this.out.reserve(size), this.out.offset, this.runStart, this.runEnd);
      this.out.commit(size);
    }
    this.run = null;
    this.runStart = this.runEnd = 0;
  }

  /** A client's send of a prepared frame (a request template) under a new stream id; the template itself is never changed. */
  sendTemplate(template: Buffer, streamId: number): void {
    if (this.isClosing) return;
    this.queueFrame(template, 0, template.length, streamId, false);
  }

  /** Queues an encoded frame (no length prefix: the envelope is added here); the caller must not change it afterwards. */
  sendEncoded(frame: Buffer): void {
    if (this.isClosing) return;
    this.queueFrame(frame, 0, frame.length, -1, true);
  }

  /**
   * Queues `buf[start, end)` after its envelope, with `streamId` written into it (-1:
   * as it is). Small frames are copied into the slab; a large one is queued by reference
   * when `mayReference` and the envelope needs no masking.
   */
  private queueFrame(buf: Buffer, start: number, end: number, streamId: number, mayReference: boolean): void {
    this.queueRun();
    const size = end - start;
    const envelope = this.envelope;
    const headerSize = envelope.headerSize(size);
    if (mayReference && size >= LARGE_FRAME_BYTES && envelope.mask === null) {
      if (streamId >= 0) writeWireStreamId(buf, start, streamId);
      envelope.writeHeader(this.out.reserve(headerSize), this.out.offset, size);
      this.out.commit(headerSize);
      this.out.appendReference(buf.subarray(start, end));
    } else {
      const slab = this.out.reserve(headerSize + size);
      const at = this.out.offset;
      envelope.writeHeader(slab, at, size);
      buf.copy(slab, at + headerSize, start, end);
      if (streamId >= 0) writeWireStreamId(slab, at + headerSize, streamId);
      envelope.mask?.(slab, at, size);
      this.out.commit(headerSize + size);
    }
    this.scheduleFlush();
  }

  sendFrame(frame: Frame): void {
    this.sendEncoded(encodeFrameBody(frame));
  }

  // PAYLOAD: | u31 stream id | type u6, flags u10 | [u24 length | metadata] | data |, after the envelope
  /** Queues a PAYLOAD frame, encoding it straight into the outbound slab (no intermediate buffer). */
  sendPayload(streamId: number, flags: number, metadata: Buffer | null, data: Buffer): void {
    if (this.isClosing) return;
    const size = FRAME_HEADER_SIZE + (metadata ? METADATA_LENGTH_SIZE + metadata.length : 0) + data.length;
    const envelope = this.envelope;
    const headerSize = envelope.headerSize(size);
    if (headerSize + size >= LARGE_FRAME_BYTES) {
      this.sendFrame({ type: FRAME_TYPE.PAYLOAD, streamId, flags, metadata, data });
      return;
    }
    this.queueRun();
    const slab = this.out.reserve(headerSize + size);
    const headerAt = this.out.offset;
    envelope.writeHeader(slab, headerAt, size);
    let at = headerAt + headerSize;
    slab.writeUInt32BE(streamId, at);
    const wireFlags = metadata ? flags | FLAG.METADATA : flags & ~FLAG.METADATA;
    slab.writeUInt16BE((FRAME_TYPE.PAYLOAD << FRAME_TYPE_SHIFT) | wireFlags, at + 4);
    at += FRAME_HEADER_SIZE;
    if (metadata) {
      writeU24(slab, at, metadata.length);
      at += METADATA_LENGTH_SIZE + metadata.copy(slab, at + METADATA_LENGTH_SIZE);
    }
    data.copy(slab, at);
    envelope.mask?.(slab, headerAt, size);
    this.out.commit(headerSize + size);
    this.scheduleFlush();
  }

  sendError(streamId: number, code: number, message: string): void {
    this.sendFrame({ type: FRAME_TYPE.ERROR, streamId, flags: 0, code, message });
  }

  sendRequestN(streamId: number, requestN: number): void {
    this.sendFrame({ type: FRAME_TYPE.REQUEST_N, streamId, flags: 0, requestN });
  }

  sendCancel(streamId: number): void {
    this.sendFrame({ type: FRAME_TYPE.CANCEL, streamId, flags: 0 });
  }

  private scheduleFlush(): void {
    if (this.queuedBytes >= EARLY_FLUSH_BYTES) {
      this.flush();
      return;
    }
    if (!this.isFlushScheduled) {
      this.isFlushScheduled = true;
      flushScheduler.schedule(this);
    }
  }

  /** Writes everything queued now: one write, or one writev through cork/uncork. */
  flush(): void {
    this.isFlushScheduled = false;
    if (this.isClosed || this.socket.destroyed) return;
    // Once `ws` has sent or answered a close frame, nothing may follow it.
    if (this.websocket !== null && this.websocket.readyState !== WS_OPEN) return;
    this.queueRun();
    this.out.writeTo(this.socket);
  }

  pauseReading(): void {
    if (this.websocket !== null) this.websocket.pause();
    else this.socket.pause();
  }

  resumeReading(): void {
    if (this.isClosing) return;
    if (this.websocket !== null) this.websocket.resume();
    else this.socket.resume();
  }

  /**
   * Ends the connection after what is queued: with a connection-level ERROR first when
   * `code` is given (Protocol.md, "Error Codes": stream 0). Reading stops at once.
   */
  close(code?: number, message = ''): void {
    if (this.isClosing) return;
    if (code !== undefined) this.sendError(0, code, message);
    this.isClosing = true;
    this.flush();
    if (this.websocket === null) this.socket.end();
    else if (this.websocket.readyState === WS_OPEN) this.websocket.close(WS_NORMAL_CLOSURE);
    // A peer that never reads must not keep the socket half-open forever.
    setTimeout(() => this.destroy(), 5_000).unref();
  }

  /** Drops the connection now, without flushing. */
  destroy(error?: Error): void {
    this.isClosing = true;
    if (this.websocket === null) {
      this.socket.destroy(error);
      return;
    }
    this.closeError ??= error;
    this.websocket.terminate();
  }

  get isOpen(): boolean {
    return !this.isClosing && !this.isClosed;
  }
}

