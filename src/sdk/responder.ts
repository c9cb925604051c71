import type {
  Cancellable,
  OnExtensionSubscriber,
  OnNextSubscriber,
  OnTerminalSubscriber,
  Payload,
  Requestable,
  RSocket,
} from 'rsocket-core';
import { ERROR_CODE, MAX_REQUEST_N, parseRoute, ProtocolError } from '../protocol/index.js';
import { decodeRequestMetadata, toMessage, toPayload, type Message, type Reply } from './messages.js';
import { ReceiveQueue, CreditWindow } from './receive-queue.js';
import { createRSocketError, toWireError } from './wire-errors.js';

/** A request as a handler sees it. */
export interface IncomingRequest extends Message {
  route: string;
  /** The service key the route addresses: `svc`, or `group!svc:version`. */
  service: string;
  method: string;
  /** The requester's key/value headers (see `RequestMetadataOptions.headers`). */
  headers: Record<string, string>;
  /** The per-stream data MIME type, when the requester sent one. */
  dataMimeType: string | undefined;
  /** Aborted when the requester cancels or the connection drops. */
  signal: AbortSignal;
}

/** The interaction models one method answers. */
export interface MethodHandlers {
  requestResponse?(request: IncomingRequest): Reply | Promise<Reply>;
  fireAndForget?(request: IncomingRequest): void | Promise<void>;
  /** Items are pulled only as the requester grants credit (REQUEST_N). */
  requestStream?(request: IncomingRequest): AsyncIterable<Reply> | Iterable<Reply>;
  /** `inbound` yields every item the requester sends, the first included (it is also `request.data`). */
  requestChannel?(request: IncomingRequest, inbound: AsyncIterable<Message>): AsyncIterable<Reply> | Iterable<Reply>;
}

/** A plain function answers request-response and fire-and-forget. */
export type MethodHandler = ((request: IncomingRequest) => Reply | Promise<Reply>) | MethodHandlers;

/** Handlers by service key (`svc`, `group!svc:1.0`), then by method; `ANY_METHOD` answers methods with no handler of their own. */
export type ServiceHandlers = Record<string, Record<string, MethodHandler>>;

/** The method key that catches every method of a service (the HTTP proxy forwards them all). */
export const ANY_METHOD = '*';

export interface ResponderHooks {
  onMetadataPush(metadata: Buffer): void;
  /** Errors with no requester to go to: fire-and-forget handlers that failed. */
  onError(error: Error): void;
}

type StreamSubscriber = OnTerminalSubscriber & OnNextSubscriber & OnExtensionSubscriber;
type ChannelSubscriber = StreamSubscriber & Requestable & Cancellable;

/** Inbound items a channel handler may have buffered before it asks for more. */
const CHANNEL_INBOUND_WINDOW = 64;
const NOOP_EXTENSION = (): void => {};

/**
 * The rsocket-js responder of an SDK connection: each request the broker routes here is
 * dispatched by its route to the handler of `service.method`, in the interaction model
 * it arrived in. A route with no handler is answered REJECTED.
 */
export function createResponder(services: ServiceHandlers, hooks: ResponderHooks): Partial<RSocket> {
  const resolve = (payload: Payload): { request: IncomingRequest; handler: MethodHandler; abort: AbortController } | { rejection: string } => {
    let route: string | null;
    let decoded;
    try {
      decoded = decodeRequestMetadata(payload.metadata);
      route = decoded.route;
    } catch (error) {
      return { rejection: `the request metadata is malformed: ${(error as Error).message}` };
    }
    if (route === null) return { rejection: 'the request has no route (message/x.rsocket.routing.v0)' };
    let parsed;
    try {
      parsed = parseRoute(route);
    } catch (error) {
      if (!(error instanceof ProtocolError)) throw error;
      return { rejection: error.message };
    }
    const methods = services[parsed.serviceKey];
    const handler = methods?.[parsed.method] ?? methods?.[ANY_METHOD];
    if (!handler) {
      return {
        rejection: methods
          ? `service ${parsed.serviceKey} has no method ${parsed.method}; it has ${Object.keys(methods).join(', ')}`
          : `this connection does not serve ${parsed.serviceKey}`,
      };
    }
    const abort = new AbortController();
    const message = toMessage(payload);
    return {
      handler,
      abort,
      request: {
        ...message,
        route,
        service: parsed.serviceKey,
        method: parsed.method,
        headers: decoded.headers,
        dataMimeType: decoded.dataMimeType,
        signal: abort.signal,
      },
    };
  };

  return {
    requestResponse(payload, subscriber): Cancellable & OnExtensionSubscriber {
      const found = resolve(payload);
      if ('rejection' in found) return rejectNow(subscriber, found.rejection);
      const answer = typeof found.handler === 'function' ? found.handler : found.handler.requestResponse?.bind(found.handler);
      if (!answer) return rejectNow(subscriber, `${found.request.route} does not answer request-response`);
      let isCancelled = false;
      Promise.resolve()
        .then(() => answer(found.request))
        .then(
          (reply) => {
            if (!isCancelled) subscriber.onNext(toPayload(reply), true);
          },
          (error: unknown) => {
            if (!isCancelled) subscriber.onError(toWireError(error));
          },
        );
      return {
        cancel() {
          isCancelled = true;
          found.abort.abort();
        },
        onExtension: NOOP_EXTENSION,
      };
    },

    fireAndForget(payload): Cancellable {
      const found = resolve(payload);
      // A fire-and-forget has no stream to answer on: what cannot be served is reported locally.
      if ('rejection' in found) {
        hooks.onError(new Error(`fire-and-forget dropped: ${found.rejection}`));
        return { cancel() {} };
      }
      const handle = typeof found.handler === 'function' ? found.handler : found.handler.fireAndForget?.bind(found.handler);
      if (!handle) {
        hooks.onError(new Error(`fire-and-forget dropped: ${found.request.route} does not answer fire-and-forget`));
        return { cancel() {} };
      }
      Promise.resolve()
        .then(() => handle(found.request))
        .catch((error: unknown) => hooks.onError(error instanceof Error ? error : new Error(String(error))));
      return { cancel: () => found.abort.abort() };
    },

    requestStream(payload, initialN, subscriber): Requestable & Cancellable & OnExtensionSubscriber {
      const found = resolve(payload);
      if ('rejection' in found) return { ...rejectNow(subscriber, found.rejection), request() {} };
      const handler = typeof found.handler === 'function' ? undefined : found.handler.requestStream?.bind(found.handler);
      if (!handler) return { ...rejectNow(subscriber, `${found.request.route} does not answer request-stream`), request() {} };
      const pump = new ReplyPump(subscriber, initialN, found.abort);
      pump.start(() => handler(found.request));
      return pump;
    },

    requestChannel(payload, initialN, isCompleted, subscriber: ChannelSubscriber) {
      const found = resolve(payload);
      const inboundQueue = new ReceiveQueue<Message>();
      const inbound = new InboundChannel(inboundQueue, subscriber);
      if ('rejection' in found || typeof found.handler === 'function' || !found.handler.requestChannel) {
        const reason = 'rejection' in found ? found.rejection : `${found.request.route} does not answer request-channel`;
        subscriber.onError(createRSocketError(ERROR_CODE.REJECTED, reason));
        return inbound.asSubscriber(undefined);
      }
      const handler = found.handler.requestChannel.bind(found.handler);
      inboundQueue.push(toMessage(payload));
      if (isCompleted) inboundQueue.end();
      const pump = new ReplyPump(subscriber, initialN, found.abort);
      pump.start(() => handler(found.request, inbound.iterate()));
      return inbound.asSubscriber(pump);
    },

    metadataPush(metadata, subscriber) {
      try {
        hooks.onMetadataPush(metadata);
      } catch (error) {
        hooks.onError(error instanceof Error ? error : new Error(String(error)));
      }
      subscriber.onComplete();
    },
  };
}

function rejectNow(subscriber: OnTerminalSubscriber, message: string): Cancellable & OnExtensionSubscriber {
  subscriber.onError(createRSocketError(ERROR_CODE.REJECTED, message));
  return { cancel() {}, onExtension: NOOP_EXTENSION };
}

/**
 * Sends a handler's items to the requester, never more than the requester has granted
 * (REQUEST_N): the handler's iterator runs at most one item ahead of the credit. Stops
 * the iterator on CANCEL.
 */
class ReplyPump implements Requestable, Cancellable, OnExtensionSubscriber {
  private credits: number;
  private isCancelled = false;
  private iterator: AsyncIterator<Reply> | Iterator<Reply> | undefined;
  private wake: (() => void) | undefined;

  constructor(
    private readonly subscriber: StreamSubscriber,
    initialN: number,
    private readonly abort: AbortController,
  ) {
    this.credits = initialN;
  }

  start(open: () => AsyncIterable<Reply> | Iterable<Reply>): void {
    void this.run(open);
  }

  private async run(open: () => AsyncIterable<Reply> | Iterable<Reply>): Promise<void> {
    try {
      const iterable = open();
      this.iterator =
        Symbol.asyncIterator in iterable ? (iterable as AsyncIterable<Reply>)[Symbol.asyncIterator]() : (iterable as Iterable<Reply>)[Symbol.iterator]();
      for (;;) {
        // Out of credit, the next item is still pulled (and parked): a handler whose items
        // are all sent must be seen to end, or the requester would wait for COMPLETE until
        // it granted credit it does not need.
        const result = await this.iterator.next();
        if (this.isCancelled) return;
        if (result.done) {
          this.subscriber.onComplete();
          return;
        }
        while (this.credits === 0 && !this.isCancelled) await new Promise<void>((resolve) => (this.wake = resolve));
        if (this.isCancelled) return;
        if (this.credits !== MAX_REQUEST_N) this.credits--;
        this.subscriber.onNext(toPayload(result.value), false);
      }
    } catch (error) {
      if (!this.isCancelled) this.subscriber.onError(toWireError(error));
    }
  }

  request(n: number): void {
    this.credits = Math.min(MAX_REQUEST_N, this.credits + n);
    this.wake?.();
  }

  cancel(): void {
    if (this.isCancelled) return;
    this.isCancelled = true;
    this.abort.abort();
    this.wake?.();
    void Promise.resolve(this.iterator?.return?.()).catch(() => {});
  }

  onExtension(): void {}
}

/** A channel's inbound side as a handler's async iterable, granting the requester credit as items are taken. */
class InboundChannel {
  private readonly window = new CreditWindow(CHANNEL_INBOUND_WINDOW);

  constructor(
    private readonly queue: ReceiveQueue<Message>,
    private readonly subscriber: ChannelSubscriber,
  ) {}

  async *iterate(): AsyncGenerator<Message> {
    // The first item came with REQUEST_CHANNEL; the requester may send the rest once granted credit.
    let isFirst = true;
    try {
      for (;;) {
        const next = await this.queue.take(0, () => new Error('unreachable: no timeout'));
        if (!next) return;
        if (isFirst) {
          isFirst = false;
          if (!this.queue.isFinished) this.subscriber.request(this.window.initial);
        } else {
          const more = this.window.take();
          if (more > 0 && !this.queue.isFinished) this.subscriber.request(more);
        }
        yield next.item;
      }
    } finally {
      // The handler stopped reading before the requester completed: tell it to stop sending.
      if (!this.queue.isFinished) this.subscriber.cancel();
    }
  }

  /** What rsocket-js calls with the requester's frames after REQUEST_CHANNEL. */
  asSubscriber(pump: ReplyPump | undefined): StreamSubscriber & Requestable & Cancellable {
    const queue = this.queue;
    return {
      onNext(payload, isComplete) {
        queue.push(toMessage(payload));
        if (isComplete) queue.end();
      },
      onComplete() {
        queue.end();
      },
      onError(error) {
        queue.fail(error);
        pump?.cancel();
      },
      onExtension: NOOP_EXTENSION,
      request(n) {
        pump?.request(n);
      },
      cancel() {
        pump?.cancel();
      },
    };
  }
}
