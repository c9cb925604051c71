import type { Socket } from 'node:net';
import { ConnectError, ConnectionClosedError } from '../errors.js';
import { ERROR_CODE } from '../protocol/index.js';
import { flushScheduler, openCarrier, OutboundBuffer, StreamMap, type Flushable, type RequestObserver } from '../transport/index.js';
import { CRLF, decimalLength, encodeConnect, encodeSub, NatsParser, PING, PONG, readDecimal, writeDecimal, type NatsSink } from './nats-wire.js';

/** What a NATS connection's owner hears: each MSG, and the end of the connection. */
export interface NatsHandler {
  onMsg(buf: Buffer, subjectStart: number, subjectEnd: number, replyStart: number, replyEnd: number, payloadStart: number, payloadEnd: number): void;
  onClose(error: Error): void;
}

/** Queued bytes written at once rather than at the end of the turn (as FramedConnection does). */
const EARLY_FLUSH_BYTES = 8 * 1024;
const CONNECT_TIMEOUT_MS = 5_000;

/**
 * One client connection to a NATS server, as lean as rsb's own framed connections: what
 * arrives is parsed in place (NatsParser), what is sent is queued in a slab and leaves in
 * one write per event-loop turn. The server's PINGs are answered.
 */
export class NatsConnection implements NatsSink, Flushable {
  private readonly parser = new NatsParser();
  private readonly out = new OutboundBuffer();
  private isFlushScheduled = false;
  private handler: NatsHandler;
  private handshake: { resolve: () => void; reject: (error: Error) => void } | undefined;
  private closeError: Error | undefined;
  /** PINGs sent with `ping()`, answered in order. */
  private readonly pings: { resolve: () => void; reject: (error: Error) => void }[] = [];
  isOpen = true;

  private constructor(
    private readonly socket: Socket,
    private readonly name: string,
  ) {
    this.handler = { onMsg() {}, onClose() {} };
    socket.setNoDelay(true);
    socket.on('data', (chunk: Buffer) => this.parser.push(chunk, this));
    socket.on('error', (error) => (this.closeError ??= error));
    socket.on('close', () => {
      this.isOpen = false;
      const error = this.closeError ?? new ConnectionClosedError('the NATS server closed the connection');
      this.handshake?.reject(error);
      for (const ping of this.pings.splice(0)) ping.reject(error);
      this.handler.onClose(error);
    });
  }

  /** Connects, sends CONNECT and waits for the PONG that proves the server took it. */
  static async connect(host: string, port: number, name: string): Promise<NatsConnection> {
    const carrier = await openCarrier({ host, port }, { connectTimeoutMs: CONNECT_TIMEOUT_MS });
    // A host and port with no transport named are dialled over plain TCP: the socket itself.
    if ('websocket' in carrier) throw new Error('a NATS server is reached over TCP');
    const connection = new NatsConnection(carrier, name);
    let timer: NodeJS.Timeout | undefined;
    try {
      await new Promise<void>((resolve, reject) => {
        connection.handshake = { resolve, reject };
        timer = setTimeout(() => reject(new ConnectError(`${host}:${port} did not answer CONNECT within ${CONNECT_TIMEOUT_MS} ms`, 'Is it a NATS server?')), CONNECT_TIMEOUT_MS);
      });
    } catch (error) {
      connection.socket.destroy();
      throw error;
    } finally {
      clearTimeout(timer);
      connection.handshake = undefined;
    }
    return connection;
  }

  /** Resolves once the server has answered a PING: everything sent before it has been processed. */
  ping(): Promise<void> {
    return new Promise((resolve, reject) => {
      this.pings.push({ resolve, reject });
      this.send(PING);
    });
  }

  setHandler(handler: NatsHandler): void {
    this.handler = handler;
  }

  onInfo(): void {
    if (this.handshake !== undefined) this.send(encodeConnect(this.name));
  }

  onPong(): void {
    if (this.handshake !== undefined) this.handshake.resolve();
    else this.pings.shift()?.resolve();
  }

  onPing(): void {
    this.send(PONG);
  }

  onError(message: string): void {
    this.closeError ??= new ConnectionClosedError(`the NATS server said: ${message}`);
    this.socket.destroy();
  }

  onMsg(buf: Buffer, subjectStart: number, subjectEnd: number, replyStart: number, replyEnd: number, payloadStart: number, payloadEnd: number): void {
    this.handler.onMsg(buf, subjectStart, subjectEnd, replyStart, replyEnd, payloadStart, payloadEnd);
  }

  send(bytes: Buffer): void {
    bytes.copy(this.reserve(bytes.length), this.offset);
    this.commit(bytes.length);
  }

  /** Makes room for `size` bytes: write them into the returned slab from `offset`, then `commit(size)`. */
  reserve(size: number): Buffer {
    return this.out.reserve(size);
  }

  get offset(): number {
    return this.out.offset;
  }

  commit(size: number): void {
    this.out.commit(size);
    if (this.out.size >= EARLY_FLUSH_BYTES) {
      this.flush();
    } else if (!this.isFlushScheduled) {
      this.isFlushScheduled = true;
      flushScheduler.schedule(this);
    }
  }

  flush(): void {
    this.isFlushScheduled = false;
    if (!this.isOpen || this.socket.destroyed) return;
    this.out.writeTo(this.socket);
  }

  close(): Promise<void> {
    return new Promise((resolve) => {
      if (!this.isOpen) return resolve();
      this.socket.once('close', () => resolve());
      this.flush();
      this.socket.end();
    });
  }
}

const PUB = Buffer.from('PUB ', 'latin1');
/** The request subject of the bench's echo service: the NATS counterpart of rsb's `bench.echo` route. */
export const NATS_ECHO_SUBJECT = 'bench.echo';

/**
 * Pipelined request-reply over one NATS connection, the fastest pattern NATS offers a Node
 * program: one wildcard subscription for every reply, each request a PUB whose reply
 * subject ends with its number. No promise or closure per request; the observer hears
 * each answer with the caller's context, as with rsb's LeanRequester.
 */
export class NatsRequester<T> implements NatsHandler {
  private readonly pending = new StreamMap<T>();
  /** `PUB <subject> <inbox>.` — the request's number follows. */
  private readonly head: Buffer;
  /** ` <size>\r\n<payload>\r\n` */
  private readonly tail: Buffer;
  private readonly inboxLength: number;
  private lastId = 0;
  private lostError: Error | undefined;

  constructor(
    readonly connection: NatsConnection,
    subject: string,
    payload: Buffer,
    private readonly observer: RequestObserver<T>,
  ) {
    const inbox = `_INBOX.${process.pid}${Math.random().toString(36).slice(2, 10)}.`;
    this.inboxLength = inbox.length;
    this.head = Buffer.from(`PUB ${subject} ${inbox}`, 'latin1');
    this.tail = Buffer.concat([Buffer.from(` ${payload.length}\r\n`, 'latin1'), payload, CRLF]);
    connection.setHandler(this);
    connection.send(encodeSub(`${inbox}*`, 1));
  }

  get inFlight(): number {
    return this.pending.size;
  }

  get isConnected(): boolean {
    return this.lostError === undefined && this.connection.isOpen;
  }

  /** Publishes one request; returns its number (u31, never 0, wrapping, skipping numbers in use). */
  send(context: T): number {
    let id = this.lastId;
    do id = id === 0x7fffffff ? 1 : id + 1;
    while (this.pending.has(id));
    this.lastId = id;
    if (this.lostError) {
      this.observer.onError(context, ERROR_CODE.CONNECTION_ERROR, this.lostError.message);
      return id;
    }
    const size = this.head.length + decimalLength(id) + this.tail.length;
    const slab = this.connection.reserve(size);
    let at = this.connection.offset;
    at += this.head.copy(slab, at);
    at = writeDecimal(slab, at, id);
    this.tail.copy(slab, at);
    this.connection.commit(size);
    this.pending.set(id, context);
    return id;
  }

  /** Forgets a request: its answer, if it comes, is dropped (NATS has nothing to cancel with). */
  cancel(id: number): void {
    this.pending.delete(id);
  }

  onMsg(buf: Buffer, subjectStart: number, subjectEnd: number): void {
    const id = readDecimal(buf, subjectStart + this.inboxLength, subjectEnd);
    const context = this.pending.get(id);
    if (context === undefined) return;
    this.pending.delete(id);
    this.observer.onComplete(context);
  }

  onClose(error: Error): void {
    this.lostError = error;
    const pending = this.pending.toArray();
    this.pending.clear();
    for (const context of pending) this.observer.onError(context, ERROR_CODE.CONNECTION_ERROR, error.message);
  }
}

/** Answers every message on `bench.echo` with its own payload, to its reply subject: the NATS counterpart of rsb's lean echo service. */
export class NatsEchoService implements NatsHandler {
  constructor(private readonly connection: NatsConnection) {
    connection.setHandler(this);
    connection.send(encodeSub(NATS_ECHO_SUBJECT, 1));
  }

  onMsg(buf: Buffer, _subjectStart: number, _subjectEnd: number, replyStart: number, replyEnd: number, payloadStart: number, payloadEnd: number): void {
    if (replyStart < 0) return;
    const payloadLength = payloadEnd - payloadStart;
    const size = PUB.length + (replyEnd - replyStart) + 1 + decimalLength(payloadLength) + CRLF.length + payloadLength + CRLF.length;
    const connection = this.connection;
    const slab = connection.reserve(size);
    let at = connection.offset;
    at += PUB.copy(slab, at);
    at += buf.copy(slab, at, replyStart, replyEnd);
    slab[at++] = 0x20;
    at = writeDecimal(slab, at, payloadLength);
    at += CRLF.copy(slab, at);
    at += buf.copy(slab, at, payloadStart, payloadEnd + 2);
    connection.commit(size);
  }

  onClose(): void {}
}
