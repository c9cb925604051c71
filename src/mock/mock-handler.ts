import { ERROR_CODE, FRAME_TYPE, parseRoute, ProtocolError } from '../protocol/index.js';
import type { ResponderHandler, ResponderRequest, ResponderStream } from '../transport/index.js';
import { createLatencySampler, type LatencySampler } from './latency.js';
import type { ErrorSpec, MethodBehaviour, MockSpec } from './spec.js';

/** Live counts of one method, read by the views once a second or so. */
export interface MethodCounters {
  method: string;
  /** Requests received, all interaction models. */
  requests: number;
  /** Requests answered with an ERROR frame (the error rate). */
  errors: number;
  /** Payloads sent: answers, stream items, channel echoes. */
  items: number;
}

/** A method ready to serve: its behaviour with the response bytes and latency sampler built once. */
interface MethodRuntime {
  readonly behaviour: MethodBehaviour;
  readonly counters: MethodCounters;
  /** The fixed answer; null to echo the request's data. */
  readonly reply: Buffer | null;
  readonly latency: LatencySampler | null;
  readonly error: ErrorSpec | null;
}

/** Inbound channel items a mock lets the requester send ahead (REQUEST_N window). */
const CHANNEL_WINDOW = 64;
const MAX_CACHED_ROUTES = 1_000;

/**
 * The mock service's responder, on the lean responder: request-response and
 * fire-and-forget take no closure and no timer unless the method has a latency.
 * Latency and error rate apply to the request: before the answer, before a stream's
 * first item, before a channel starts echoing.
 */
export class MockHandler implements ResponderHandler {
  readonly counters: MethodCounters[];
  /** Requests for a method the mock does not have (answered REJECTED). */
  unknownRequests = 0;
  private readonly byRoute = new Map<string, MethodRuntime | null>();
  private readonly byMethod = new Map<string, MethodRuntime>();

  constructor(
    readonly spec: MockSpec,
    /** Response bytes of `file` responses, by path, read by the caller. */
    files: ReadonlyMap<string, Buffer> = new Map(),
    private readonly random: () => number = Math.random,
  ) {
    this.counters = spec.methods.map((behaviour) => {
      const runtime: MethodRuntime = {
        behaviour,
        counters: { method: behaviour.method, requests: 0, errors: 0, items: 0 },
        reply: buildReply(behaviour, files),
        latency: behaviour.latency ? createLatencySampler(behaviour.latency, random) : null,
        error: behaviour.error && behaviour.error.rate > 0 ? behaviour.error : null,
      };
      this.byMethod.set(behaviour.method, runtime);
      this.byRoute.set(`${spec.service}.${behaviour.method}`, runtime);
      return runtime.counters;
    });
  }

  handle(stream: ResponderStream, request: ResponderRequest): void {
    const route = request.route;
    let method = route === null ? null : this.byRoute.get(route);
    if (method === undefined) method = this.resolve(route!);
    if (method === null) {
      this.reject(stream, request);
      return;
    }
    method.counters.requests++;
    switch (request.type) {
      case FRAME_TYPE.REQUEST_RESPONSE: {
        const delay = method.latency === null ? 0 : method.latency();
        if (delay > 0) setTimeout(answerLater, delay, this, stream, request.data, method);
        else this.answer(stream, request.data, method);
        return;
      }
      case FRAME_TYPE.REQUEST_FNF:
        stream.finish();
        return;
      case FRAME_TYPE.REQUEST_STREAM:
        new StreamEmitter(this, stream, request.data, method).start(method.latency === null ? 0 : method.latency());
        return;
      case FRAME_TYPE.REQUEST_CHANNEL:
        new ChannelEcho(this, stream, method).start(request, method.latency === null ? 0 : method.latency());
        return;
    }
  }

  /** Answers a request-response: the error rate decides between ERROR and the answer. */
  answer(stream: ResponderStream, data: Buffer, method: MethodRuntime): void {
    if (stream.isDone) return;
    if (this.fails(stream, method)) return;
    method.counters.items++;
    stream.next(method.reply ?? data, null, true);
  }

  /** Sends ERROR when this request draws a failure; true if it did. */
  fails(stream: ResponderStream, method: MethodRuntime): boolean {
    const error = method.error;
    if (error === null || (error.rate < 1 && this.random() >= error.rate)) return false;
    method.counters.errors++;
    stream.error(error.code, error.message);
    return true;
  }

  private resolve(route: string): MethodRuntime | null {
    let method: MethodRuntime | null = null;
    try {
      const parsed = parseRoute(route);
      if (parsed.service === this.spec.service) method = this.byMethod.get(parsed.method) ?? null;
    } catch (error) {
      if (!(error instanceof ProtocolError)) throw error;
    }
    if (this.byRoute.size >= MAX_CACHED_ROUTES) this.byRoute.clear();
    this.byRoute.set(route, method);
    return method;
  }

  private reject(stream: ResponderStream, request: ResponderRequest): void {
    this.unknownRequests++;
    if (request.type === FRAME_TYPE.REQUEST_FNF) {
      stream.finish();
      return;
    }
    const known = this.spec.methods.map((behaviour) => behaviour.method).join(', ');
    stream.error(
      ERROR_CODE.REJECTED,
      request.route === null
        ? `the request has no route; rsb mock ${this.spec.service} answers ${known}`
        : `rsb mock ${this.spec.service} has no method for ${request.route}; it answers ${known}`,
    );
  }
}

function answerLater(handler: MockHandler, stream: ResponderStream, data: Buffer, method: MethodRuntime): void {
  handler.answer(stream, data, method);
}

function buildReply(behaviour: MethodBehaviour, files: ReadonlyMap<string, Buffer>): Buffer | null {
  const response = behaviour.response;
  switch (response.kind) {
    case 'echo':
      return null;
    case 'text':
      return Buffer.from(response.text, 'utf8');
    case 'size': {
      // Printable and recognisable in a hex dump: the alphabet, repeated.
      const bytes = Buffer.allocUnsafe(response.bytes);
      for (let i = 0; i < bytes.length; i++) bytes[i] = 0x61 + (i % 26);
      return bytes;
    }
    case 'file': {
      const content = files.get(response.path);
      if (!content) throw new Error(`the response file ${response.path} was not loaded`);
      return content;
    }
  }
}

/** A request-stream's items: `count` of them, `intervalMs` apart, never more than the requester's credit. */
class StreamEmitter {
  private sent = 0;
  private timer: NodeJS.Timeout | undefined;
  private isWaiting = false;

  constructor(
    private readonly handler: MockHandler,
    private readonly stream: ResponderStream,
    private readonly data: Buffer,
    private readonly method: MethodRuntime,
  ) {
    stream.onRequestN = () => this.pump();
    stream.onCancel = () => clearTimeout(this.timer);
  }

  start(delayMs: number): void {
    if (delayMs > 0) this.wait(delayMs, true);
    else this.begin();
  }

  private begin(): void {
    if (this.stream.isDone || this.handler.fails(this.stream, this.method)) return;
    this.pump();
  }

  private wait(ms: number, isStart: boolean): void {
    this.isWaiting = true;
    this.timer = setTimeout(() => {
      this.isWaiting = false;
      if (isStart) this.begin();
      else this.pump();
    }, ms);
  }

  private pump(): void {
    const { stream, method } = this;
    const { count, intervalMs } = method.behaviour.stream;
    if (this.isWaiting || stream.isDone) return;
    while (this.sent < count && stream.credits > 0) {
      this.sent++;
      method.counters.items++;
      stream.next(method.reply ?? this.data, null, this.sent === count);
      if (intervalMs > 0 && this.sent < count) {
        this.wait(intervalMs, false);
        return;
      }
    }
    if (this.sent >= count && !stream.isDone) stream.complete();
  }
}

/** A request-channel: each inbound item answered (echoed, or the method's fixed reply) within the requester's credit. */
class ChannelEcho {
  private readonly pending: Buffer[] = [];
  private isStarted = false;
  private isInboundDone = false;
  /** Items taken since the requester was last granted more. */
  private owed = 0;

  constructor(
    private readonly handler: MockHandler,
    private readonly stream: ResponderStream,
    private readonly method: MethodRuntime,
  ) {
    stream.onInboundNext = (data) => this.receive(data);
    stream.onInboundComplete = () => {
      this.isInboundDone = true;
      this.flush();
    };
    stream.onRequestN = () => this.flush();
  }

  start(request: ResponderRequest, delayMs: number): void {
    this.pending.push(request.data);
    this.isInboundDone = request.isInboundComplete;
    if (!this.isInboundDone) this.stream.requestInbound(CHANNEL_WINDOW);
    if (delayMs > 0) setTimeout(() => this.begin(), delayMs);
    else this.begin();
  }

  private begin(): void {
    if (this.stream.isDone || this.handler.fails(this.stream, this.method)) return;
    this.isStarted = true;
    this.flush();
  }

  private receive(data: Buffer): void {
    this.pending.push(data);
    this.flush();
  }

  private flush(): void {
    const { stream, method } = this;
    if (!this.isStarted || stream.isDone) return;
    while (this.pending.length > 0 && stream.credits > 0) {
      const item = this.pending.shift()!;
      method.counters.items++;
      stream.next(method.reply ?? item);
      if (++this.owed >= CHANNEL_WINDOW / 2 && !this.isInboundDone) {
        stream.requestInbound(this.owed);
        this.owed = 0;
      }
    }
    if (this.isInboundDone && this.pending.length === 0) stream.complete();
  }
}
