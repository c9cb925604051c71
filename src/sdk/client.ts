import type { Payload } from 'rsocket-core';
import {
  BrokerPool,
  formatBrokerAddress,
  LINK_STATE,
  resolveBrokerAddresses,
  resolveBrokerSources,
  resolveBrokerTls,
  type BrokerAddress,
  type BrokerSource,
  type BrokerLink,
  type BrokerMember,
  type LinkEvent,
  type ReconnectPolicy,
} from '../client/index.js';
import { ConnectError, NoBrokerError, TimeoutError, UsageError } from '../errors.js';
import type { AppInfo } from '../protocol/index.js';
import type { TlsClientOptions } from '../transport/index.js';
import { encodeRequestMetadata, toMessage, toPayload, type Data, type Message, type Reply, type RequestMetadataOptions } from './messages.js';
import { CreditWindow, ReceiveQueue } from './receive-queue.js';
import { createResponder, type ServiceHandlers } from './responder.js';
import { buildConnectorSetup, describeApp, parseServiceKey, DEFAULT_KEEPALIVE_TIMING, type KeepAliveTiming } from './setup.js';
import { createRSocketDialer, STREAM_ID_BUDGET, STREAM_ID_HARD_LIMIT, type BrokerConnection } from './rsocket-dialer.js';
import type { FrameListener } from './socket.js';
import { toCallError } from './wire-errors.js';

export interface ConnectOptions {
  /**
   * Brokers as text (`host:port` for TCP, or `tcp://`, `tcps://`, `ws://host:port/path`,
   * `wss://` URIs) or addresses; one connection to each. Default: 127.0.0.1:9999.
   * `dns:NAME:PORT` (or `dns+tcps://NAME:PORT`, ...) stands for every broker behind the
   * name, followed as its answer changes.
   */
  brokers?: readonly (string | BrokerSource)[];
  /** Resolver of the `dns:` names, `IP[:PORT]`; the system's when absent. */
  dnsServer?: string;
  /**
   * tcps and wss: the CA to trust (PEM), a client certificate and key (mTLS), or, for
   * development only, `isVerificationSkipped`. Default: Node's trusted CAs, or the CA of a
   * TLS cluster given as `cluster`.
   */
  tls?: TlsClientOptions;
  /** Instead of `brokers`: every broker of a cluster started with `rsb cluster up`, from its state file. */
  cluster?: string;
  /** Where `cluster`'s state is (default: RSB_STATE_DIR, else .rsb in the working directory). */
  stateDir?: string;
  /**
   * Follow the broker lists rsb brokers push (a CloudEvent in METADATA_PUSH): connect to the
   * brokers a list names, leave those it no longer names. Default true, so one broker's
   * address is enough to use its whole cluster.
   */
  followBrokerList?: boolean;
  /** This program's name, or its app info (a uuid is generated when absent). */
  app?: string | (Partial<AppInfo> & { name: string });
  /** Handlers by service key, then method: the services this program publishes and answers. */
  services?: ServiceHandlers;
  /** A bearer token for brokers that require authentication. */
  token?: string;
  /** The connection's data MIME type (SETUP). */
  dataMimeType?: string;
  /** Default time a call may take (ms); 0: no limit. Default 30 s. */
  timeoutMs?: number;
  /** Time to connect and have SETUP accepted (ms). Default 5 s. */
  connectTimeoutMs?: number;
  /** Backoff between reconnect attempts, or false to give up when a broker goes away. */
  reconnect?: Partial<ReconnectPolicy> | false;
  keepAlive?: Partial<KeepAliveTiming>;
  /** Broker events: the metadata of each METADATA_PUSH a broker sends (CloudEvents JSON on rsb brokers). */
  onMetadataPush?: (metadata: Buffer, broker: string) => void;
  /** Connections made, lost, retried and rotated, and the broker lists that change them. */
  onLinkEvent?: (event: LinkEvent) => void;
  /** Errors with no caller to go to (a failed fire-and-forget handler); default: written to stderr. */
  onError?: (error: Error) => void;
  /** Sees every frame sent and received, from its header (`rsb call --debug`). */
  onFrame?: FrameListener;
  /** Requests per connection before it is replaced, as stream ids would run out (tests lower it). */
  streamIdBudget?: number;
}

export interface CallOptions extends RequestMetadataOptions {
  /**
   * Request-response and fire-and-forget: the time the answer may take. Streams and
   * channels: the time each next item may take. 0: no limit. Default: the client's.
   */
  timeoutMs?: number;
  /** Send on this broker's connection only. */
  broker?: string | BrokerAddress;
  /** Metadata of the request payload itself, replacing the composite built from the route. */
  rawMetadata?: Buffer;
  signal?: AbortSignal;
}

export interface StreamOptions extends CallOptions {
  /** Stop (CANCEL) after this many items. */
  take?: number;
  /** Items asked for ahead of the consumer (REQUEST_N window). Default 64. */
  prefetch?: number;
}

export const DEFAULT_CALL_TIMEOUT_MS = 30_000;
const DEFAULT_CONNECT_TIMEOUT_MS = 5_000;
const DEFAULT_PREFETCH = 64;

/**
 * Connects to every broker given, sending SETUP with the app info and the services of
 * `services`; resolves once at least one broker has accepted it. Brokers that could not
 * be reached are retried in the background (unless `reconnect` is false); when none can
 * be reached the error of the first is thrown (ConnectError, or SetupRejectedError).
 */
export async function connect(options: ConnectOptions = {}): Promise<RsbClient> {
  const client = new RsbClient(options);
  await client.open();
  return client;
}

/** A Node program's connections to the brokers: the requester helpers, and the services it answers. */
export class RsbClient {
  readonly app: AppInfo;
  private readonly pool: BrokerPool<BrokerConnection>;
  private readonly timeoutMs: number;
  private readonly streamIdBudget: number;
  /** Connections rotated out (their stream ids ran low): closed once their last request ends. */
  private readonly retiring = new Set<BrokerConnection>();
  /** Callers waiting for a connection to come up. */
  private readonly connectWaiters = new Set<() => void>();
  private cursor = 0;
  private isClosed = false;

  constructor(options: ConnectOptions) {
    this.app = describeApp(options.app, 'rsb-sdk');
    const services = options.services ?? {};
    const identity = {
      app: this.app,
      services: Object.keys(services).map(parseServiceKey),
      token: options.token,
      dataMimeType: options.dataMimeType,
    };
    const onError = options.onError ?? ((error: Error) => process.stderr.write(`rsb sdk: ${error.message}\n`));
    this.timeoutMs = options.timeoutMs ?? DEFAULT_CALL_TIMEOUT_MS;
    this.streamIdBudget = options.streamIdBudget ?? STREAM_ID_BUDGET;
    const dialer = createRSocketDialer({
      setup: buildConnectorSetup(identity, { ...DEFAULT_KEEPALIVE_TIMING, ...options.keepAlive }),
      createResponder: (onMetadataPush) => createResponder(services, { onMetadataPush, onError }),
      connectTimeoutMs: options.connectTimeoutMs ?? DEFAULT_CONNECT_TIMEOUT_MS,
      tap: options.onFrame,
      tls: options.tls ?? resolveBrokerTls({ cluster: options.cluster, stateDir: options.stateDir }),
    });
    this.pool = new BrokerPool(
      {
        brokers: resolveBrokerSources({ cluster: options.cluster, brokers: options.brokers, stateDir: options.stateDir, dnsServer: options.dnsServer }),
        followBrokerList: options.followBrokerList,
        reconnect: options.reconnect,
        onEvent: options.onLinkEvent,
      },
      dialer,
      {
        onUp: () => {
          const waiters = [...this.connectWaiters];
          this.connectWaiters.clear();
          for (const wake of waiters) wake();
        },
        onMetadataPush: (metadata, member) => options.onMetadataPush?.(metadata, member.name),
      },
    );
  }

  /** One per broker: those given, and those the brokers' lists add. */
  get brokers(): readonly BrokerMember<BrokerConnection>[] {
    return this.pool.members;
  }

  /** Brokers with a live connection now. */
  get connectedBrokers(): string[] {
    return this.pool.members.filter((member) => member.isUp).map((member) => member.name);
  }

  /**
   * Connects to every broker; `connect()` calls it. When none can be reached, the error
   * of the first is thrown (ConnectError, SetupRejectedError): what a program that names
   * one broker expects, rather than a summary.
   */
  async open(): Promise<void> {
    try {
      await this.pool.start();
    } catch (error) {
      this.isClosed = true;
      throw error instanceof NoBrokerError && error.cause instanceof Error ? error.cause : error;
    }
  }

  /** One answer (or an empty one). Rejects with RSocketRequestError, TimeoutError, ConnectError or ConnectionClosedError. */
  async requestResponse(route: string, data?: Data, options: CallOptions = {}): Promise<Message> {
    const timeoutMs = options.timeoutMs ?? this.timeoutMs;
    const connection = await this.acquire(options, timeoutMs);
    const payload = this.buildPayload(route, data, options);
    return new Promise<Message>((resolve, reject) => {
      let timer: NodeJS.Timeout | undefined;
      let isSettled = false;
      const settle = (): boolean => {
        if (isSettled) return false;
        isSettled = true;
        clearTimeout(timer);
        options.signal?.removeEventListener('abort', onAbort);
        connection.end();
        return true;
      };
      connection.begin();
      const handle = connection.rsocket.requestResponse(payload, {
        onNext: (answer) => settle() && resolve(toMessage(answer)),
        onComplete: () => settle() && resolve(toMessage({ data: null })),
        onError: (error) => settle() && reject(toCallError(error, route)),
        onExtension() {},
      });
      const stop = (error: Error): void => {
        if (!settle()) return;
        handle.cancel();
        reject(error);
      };
      const onAbort = (): void => stop(abortError(route, options.signal));
      if (timeoutMs > 0) timer = setTimeout(() => stop(timeoutError(route, timeoutMs)), timeoutMs);
      options.signal?.addEventListener('abort', onAbort, { once: true });
    });
  }

  /** Resolves once the request is written; nothing comes back. */
  async fireAndForget(route: string, data?: Data, options: CallOptions = {}): Promise<void> {
    const connection = await this.acquire(options, options.timeoutMs ?? this.timeoutMs);
    const payload = this.buildPayload(route, data, options);
    connection.begin();
    await new Promise<void>((resolve, reject) => {
      connection.rsocket.fireAndForget(payload, {
        onComplete: () => resolve(),
        onError: (error) => reject(toCallError(error, route)),
      });
    }).finally(() => connection.end());
  }

  /**
   * The items of a request-stream, asked for as they are consumed (REQUEST_N). Breaking
   * out of the loop cancels the stream.
   */
  async *requestStream(route: string, data?: Data, options: StreamOptions = {}): AsyncGenerator<Message, void, undefined> {
    const timeoutMs = options.timeoutMs ?? this.timeoutMs;
    const connection = await this.acquire(options, timeoutMs);
    const window = new CreditWindow(options.prefetch ?? DEFAULT_PREFETCH, options.take ?? Infinity);
    const queue = new ReceiveQueue<Message>();
    connection.begin();
    const handle = connection.rsocket.requestStream(this.buildPayload(route, data, options), window.initial, {
      onNext: (item, isComplete) => {
        queue.push(toMessage(item));
        if (isComplete) queue.end();
      },
      onComplete: () => queue.end(),
      onError: (error) => queue.fail(toCallError(error, route)),
      onExtension() {},
    });
    yield* this.drain(queue, handle, connection, route, timeoutMs, window, options);
  }

  /**
   * A request-channel: `outbound` items are sent as the responder grants credit, the
   * first one in the REQUEST_CHANNEL frame; the responder's items are yielded as they
   * are consumed. Breaking out of the loop cancels both directions.
   */
  async *requestChannel(
    route: string,
    outbound: AsyncIterable<Reply> | Iterable<Reply>,
    options: StreamOptions = {},
  ): AsyncGenerator<Message, void, undefined> {
    const timeoutMs = options.timeoutMs ?? this.timeoutMs;
    const source: AsyncIterator<Reply> | Iterator<Reply> =
      Symbol.asyncIterator in outbound ? (outbound as AsyncIterable<Reply>)[Symbol.asyncIterator]() : (outbound as Iterable<Reply>)[Symbol.iterator]();
    const first = await source.next();
    if (first.done) throw new UsageError(`a channel to ${route} needs at least one item to send`);
    const connection = await this.acquire(options, timeoutMs);
    const window = new CreditWindow(options.prefetch ?? DEFAULT_PREFETCH, options.take ?? Infinity);
    const queue = new ReceiveQueue<Message>();
    const metadata = options.rawMetadata ?? encodeRequestMetadata(route, options);
    let credits = 0;
    let isOutboundDone = false;
    let isPumping = false;
    const pump = async (): Promise<void> => {
      if (isPumping) return;
      isPumping = true;
      try {
        while (credits > 0 && !isOutboundDone) {
          const next = await source.next();
          if (isOutboundDone) return;
          if (next.done) {
            isOutboundDone = true;
            handle.onComplete();
            return;
          }
          credits--;
          handle.onNext(toPayload(next.value), false);
        }
      } catch (error) {
        isOutboundDone = true;
        handle.onError(error instanceof Error ? error : new Error(String(error)));
        queue.fail(error instanceof Error ? error : new Error(String(error)));
      } finally {
        isPumping = false;
      }
    };
    connection.begin();
    // The first item rides in REQUEST_CHANNEL, whose metadata must carry the route.
    const handle = connection.rsocket.requestChannel({ data: toPayload(first.value).data, metadata }, window.initial, false, {
      onNext: (item, isComplete) => {
        queue.push(toMessage(item));
        if (isComplete) queue.end();
      },
      onComplete: () => queue.end(),
      onError: (error) => {
        isOutboundDone = true;
        queue.fail(toCallError(error, route));
      },
      onExtension() {},
      request: (n) => {
        credits += n;
        void pump();
      },
      cancel: () => {
        isOutboundDone = true;
      },
    });
    try {
      yield* this.drain(queue, handle, connection, route, timeoutMs, window, options);
    } finally {
      if (!isOutboundDone) {
        isOutboundDone = true;
        void Promise.resolve(source.return?.()).catch(() => {});
      }
    }
  }

  /** Sends METADATA_PUSH on every connected broker (or the one named). */
  async metadataPush(metadata: Buffer, options: { broker?: string | BrokerAddress } = {}): Promise<void> {
    const members = options.broker ? [this.findBroker(options.broker)] : this.pool.members.filter((member) => member.isUp);
    for (const member of members) {
      const connection = this.connectionOf(member);
      if (!connection) throw new ConnectError(`no connection to broker ${member.name}`);
      await new Promise<void>((resolve, reject) => connection.rsocket.metadataPush(metadata, { onComplete: resolve, onError: reject }));
    }
  }

  /** Closes every connection (the brokers unregister its services) and stops reconnecting. */
  async close(): Promise<void> {
    this.isClosed = true;
    await this.pool.close();
    await Promise.all([...this.retiring].map((connection) => connection.close()));
  }

  private async *drain(
    queue: ReceiveQueue<Message>,
    handle: { request(n: number): void; cancel(): void },
    connection: BrokerConnection,
    route: string,
    timeoutMs: number,
    window: CreditWindow,
    options: StreamOptions,
  ): AsyncGenerator<Message, void, undefined> {
    const onAbort = (): void => queue.fail(abortError(route, options.signal));
    options.signal?.addEventListener('abort', onAbort, { once: true });
    let taken = 0;
    try {
      for (;;) {
        if (options.take !== undefined && taken >= options.take) return;
        const next = await queue.take(timeoutMs, () => timeoutError(route, timeoutMs));
        if (!next) return;
        taken++;
        const more = window.take();
        if (more > 0 && !queue.isFinished) handle.request(more);
        yield next.item;
      }
    } finally {
      options.signal?.removeEventListener('abort', onAbort);
      if (!queue.isFinished) handle.cancel();
      connection.end();
    }
  }

  private buildPayload(route: string, data: Data | undefined, options: CallOptions): Payload {
    return toPayload(data ?? null, options.rawMetadata ?? encodeRequestMetadata(route, options));
  }

  private findBroker(broker: string | BrokerAddress): BrokerMember<BrokerConnection> {
    const name = formatBrokerAddress(resolveBrokerAddresses([broker])[0]!);
    const member = this.pool.members.find((candidate) => candidate.name === name);
    if (!member) throw new UsageError(`broker ${name} is not one this client connected to (${this.pool.members.map((m) => m.name).join(', ')})`);
    return member;
  }

  /** A connection for one request: round-robin over the connected brokers, waiting up to `timeoutMs` for one. */
  private async acquire(options: CallOptions, timeoutMs: number): Promise<BrokerConnection> {
    if (this.isClosed) throw new ConnectError('the client is closed');
    const members = options.broker ? [this.findBroker(options.broker)] : this.pool.members;
    const found = this.pick(members);
    if (found) return found;
    const deadline = Date.now() + (timeoutMs > 0 ? timeoutMs : DEFAULT_CALL_TIMEOUT_MS);
    while (Date.now() < deadline && !this.isClosed) {
      await this.waitForConnect(deadline - Date.now());
      const connection = this.pick(members);
      if (connection) return connection;
    }
    throw new ConnectError(
      `no connection to ${members.length === 1 ? `broker ${members[0]!.name}` : `any of the brokers ${members.map((member) => member.name).join(', ')}`}`,
      'Is the broker running? Start one with `rsb start`.',
    );
  }

  private pick(members: readonly BrokerMember<BrokerConnection>[]): BrokerConnection | undefined {
    for (let i = 0; i < members.length; i++) {
      const connection = this.connectionOf(members[(this.cursor + i) % members.length]!);
      if (connection) {
        this.cursor = (this.cursor + i + 1) % members.length;
        return connection;
      }
    }
    return undefined;
  }

  /**
   * The broker's connection for one more request, or undefined while there is none. A
   * connection whose stream ids run low is rotated: the pool dials its replacement, and
   * the old one is retired once that is up.
   */
  private connectionOf(member: BrokerMember<BrokerConnection>): BrokerConnection | undefined {
    const link = member.links[0];
    const connection = link?.state === LINK_STATE.UP ? link.connection : undefined;
    if (!link || !connection || connection.isClosed) return undefined;
    if (connection.streamsOpened >= this.streamIdBudget) {
      void this.rotate(link);
      if (connection.streamsOpened >= STREAM_ID_HARD_LIMIT) return undefined;
    }
    return connection;
  }

  private async rotate(link: BrokerLink<BrokerConnection>): Promise<void> {
    const previous = await this.pool.rotate(link);
    if (!previous) return;
    previous.isRetiring = true;
    this.retiring.add(previous);
    void previous.closed.then(() => this.retiring.delete(previous));
    if (previous.inFlight === 0) void previous.close();
  }

  /** Resolves when a connection comes up, or after `timeoutMs` (at most 250 ms, to look again). */
  private waitForConnect(timeoutMs: number): Promise<void> {
    return new Promise((resolve) => {
      const done = (): void => {
        clearTimeout(timer);
        this.connectWaiters.delete(done);
        resolve();
      };
      const timer = setTimeout(done, Math.max(0, Math.min(timeoutMs, 250)));
      this.connectWaiters.add(done);
    });
  }
}

function timeoutError(route: string, timeoutMs: number): TimeoutError {
  return new TimeoutError(`${route}: no answer within ${timeoutMs} ms`, 'Raise the timeout, or check that the service answers.');
}

function abortError(route: string, signal: AbortSignal | undefined): Error {
  const reason: unknown = signal?.reason;
  return reason instanceof Error ? reason : new Error(`${route}: aborted`);
}

