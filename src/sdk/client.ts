import type { Payload } from 'rsocket-core';
import { ConnectError, TimeoutError, UsageError } from '../errors.js';
import type { AppInfo } from '../protocol/index.js';
import { DEFAULT_RECONNECT_POLICY, type ReconnectPolicy } from '../transport/index.js';
import { BrokerLink, LINK_EVENT, STREAM_ID_BUDGET, type BrokerConnection, type LinkEvent, type LinkOptions } from './broker-link.js';
import { formatBrokerAddress, resolveBrokerAddresses, type BrokerAddress } from './brokers.js';
import { diffBrokerList, readBrokerListPush } from '../cluster/broker-list.js';
import { resolveBrokerEndpoints } from '../cluster/endpoints.js';
import { ProtocolError } from '../protocol/index.js';
import { encodeRequestMetadata, toMessage, toPayload, type Data, type Message, type Reply, type RequestMetadataOptions } from './messages.js';
import { CreditWindow, ReceiveQueue } from './receive-queue.js';
import { createResponder, type ServiceHandlers } from './responder.js';
import { buildConnectorSetup, describeApp, parseServiceKey, DEFAULT_KEEPALIVE_TIMING, type KeepAliveTiming } from './setup.js';
import type { FrameListener } from './socket.js';
import { toCallError } from './wire-errors.js';

export interface ConnectOptions {
  /** `host:port` strings or addresses; one connection to each. Default: 127.0.0.1:9999. */
  brokers?: readonly (string | BrokerAddress)[];
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
  /** Connections made, lost, retried and rotated. */
  onLinkEvent?: (event: LinkEvent) => void;
  /** Errors with no caller to go to (a failed fire-and-forget handler); default: written to stderr. */
  onError?: (error: Error) => void;
  /** Sees every frame sent and received, length prefix included (`rsb call --debug`). */
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
  /** One per broker: those given, and those the brokers' lists add. */
  readonly links: BrokerLink[] = [];
  private readonly timeoutMs: number;
  private readonly isFollowingBrokerList: boolean;
  private readonly newLink: (address: BrokerAddress) => BrokerLink;
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
    const setup = buildConnectorSetup(identity, { ...DEFAULT_KEEPALIVE_TIMING, ...options.keepAlive });
    const onError = options.onError ?? ((error: Error) => process.stderr.write(`rsb sdk: ${error.message}\n`));
    this.timeoutMs = options.timeoutMs ?? DEFAULT_CALL_TIMEOUT_MS;
    this.isFollowingBrokerList = options.followBrokerList !== false;
    const linkOptions: Omit<LinkOptions, 'address' | 'responder'> = {
      setup,
      connectTimeoutMs: options.connectTimeoutMs ?? DEFAULT_CONNECT_TIMEOUT_MS,
      reconnect: options.reconnect === false ? false : { ...DEFAULT_RECONNECT_POLICY, ...options.reconnect },
      streamIdBudget: options.streamIdBudget ?? STREAM_ID_BUDGET,
      tap: options.onFrame,
      onEvent: (event) => options.onLinkEvent?.(event),
    };
    this.newLink = (address) => {
      const broker = formatBrokerAddress(address);
      const link: BrokerLink = new BrokerLink({
        ...linkOptions,
        address,
        responder: createResponder(services, {
          onMetadataPush: (metadata) => {
            this.onBrokerEvent(link, metadata);
            options.onMetadataPush?.(metadata, broker);
          },
          onError,
        }),
      });
      return link;
    };
    const { endpoints } = resolveBrokerEndpoints({ cluster: options.cluster, brokers: options.brokers, stateDir: options.stateDir });
    for (const endpoint of endpoints) {
      const link = this.newLink({ host: endpoint.host, port: endpoint.port });
      link.id = endpoint.id;
      this.links.push(link);
    }
  }

  /** Brokers with a live connection now. */
  get connectedBrokers(): string[] {
    return this.links.filter((link) => link.isConnected).map((link) => link.name);
  }

  /** Connects every link; `connect()` calls it. */
  async open(): Promise<void> {
    const results = await Promise.allSettled(this.links.map((link) => link.open()));
    if (results.some((result) => result.status === 'fulfilled')) return;
    await this.close();
    throw (results[0] as PromiseRejectedResult).reason;
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
    const links = options.broker ? [this.findLink(options.broker)] : this.links.filter((link) => link.isConnected);
    for (const link of links) {
      const connection = link.acquire();
      if (!connection) throw new ConnectError(`no connection to broker ${link.name}`);
      await new Promise<void>((resolve, reject) => connection.rsocket.metadataPush(metadata, { onComplete: resolve, onError: reject }));
    }
  }

  /**
   * A METADATA_PUSH from a broker: when it is the cluster's broker list, names the link it
   * came on, connects to the brokers it adds and leaves those it drops (src/cluster/broker-list.ts).
   */
  private onBrokerEvent(from: BrokerLink, metadata: Buffer): void {
    let list;
    try {
      list = readBrokerListPush(metadata);
    } catch (error) {
      // Not an rsb broker event: the program's own onMetadataPush still sees it.
      if (error instanceof ProtocolError) return;
      throw error;
    }
    if (!list) return;
    if (list.broker) from.id = list.broker;
    if (!this.isFollowingBrokerList || this.isClosed) return;
    const members = this.links.map((link) => ({ host: link.address.host, port: link.address.port, id: link.id, link }));
    const changes = diffBrokerList(members, list.brokers);
    for (const { member, entry } of changes.kept) member.link.id = entry.id;
    for (const member of [...changes.removed, ...changes.moved.map((moved) => moved.member)]) {
      this.links.splice(this.links.indexOf(member.link), 1);
      void member.link.close();
    }
    for (const entry of [...changes.added, ...changes.moved.map((moved) => moved.entry)]) {
      const link = this.newLink({ host: entry.host, port: entry.port });
      link.id = entry.id;
      this.links.push(link);
      // It keeps trying in the background (when reconnecting is allowed); requests go to the brokers connected meanwhile.
      link.open().catch(() => {});
    }
  }

  /** Closes every connection (the brokers unregister its services) and stops reconnecting. */
  async close(): Promise<void> {
    this.isClosed = true;
    await Promise.all(this.links.map((link) => link.close()));
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

  private findLink(broker: string | BrokerAddress): BrokerLink {
    const name = formatBrokerAddress(resolveBrokerAddresses([broker])[0]!);
    const link = this.links.find((candidate) => candidate.name === name);
    if (!link) throw new UsageError(`broker ${name} is not one this client connected to (${this.links.map((l) => l.name).join(', ')})`);
    return link;
  }

  /** A connection for one request: round-robin over the connected brokers, waiting up to `timeoutMs` for one. */
  private async acquire(options: CallOptions, timeoutMs: number): Promise<BrokerConnection> {
    if (this.isClosed) throw new ConnectError('the client is closed');
    const links = options.broker ? [this.findLink(options.broker)] : this.links;
    const found = this.pick(links);
    if (found) return found;
    const deadline = Date.now() + (timeoutMs > 0 ? timeoutMs : DEFAULT_CALL_TIMEOUT_MS);
    while (Date.now() < deadline && !this.isClosed) {
      await this.waitForConnect(links, deadline - Date.now());
      const connection = this.pick(links);
      if (connection) return connection;
    }
    throw new ConnectError(
      `no connection to ${links.length === 1 ? `broker ${links[0]!.name}` : `any of the brokers ${links.map((link) => link.name).join(', ')}`}`,
      'Is the broker running? Start one with `rsb start`.',
    );
  }

  private pick(links: BrokerLink[]): BrokerConnection | undefined {
    for (let i = 0; i < links.length; i++) {
      const link = links[(this.cursor + i) % links.length]!;
      const connection = link.acquire();
      if (connection) {
        this.cursor = (this.cursor + i + 1) % links.length;
        return connection;
      }
    }
    return undefined;
  }

  private waitForConnect(links: BrokerLink[], timeoutMs: number): Promise<void> {
    return new Promise((resolve) => {
      const removers: (() => void)[] = [];
      const done = (): void => {
        clearTimeout(timer);
        for (const remove of removers) remove();
        resolve();
      };
      const timer = setTimeout(done, Math.max(0, Math.min(timeoutMs, 250)));
      for (const link of links) removers.push(link.onNextConnect(done));
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

export { LINK_EVENT };
