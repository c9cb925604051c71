import type { Socket } from 'node:net';
import { RSocketConnector, type RSocket } from 'rsocket-core';
import { TcpClientTransport } from 'rsocket-tcp-client';
import { ConnectError, RsbError } from '../errors.js';
import { MAX_STREAM_ID } from '../protocol/index.js';
import { computeBackoffDelay, describeConnectFailure, type ReconnectPolicy } from '../transport/index.js';
import { formatBrokerAddress, type BrokerAddress } from './brokers.js';
import { confirmSetup, openTappedSocket, type FrameListener } from './socket.js';

/**
 * rsocket-js hands out stream ids 1, 3, 5... and never wraps: past 2^31-1 a request
 * throws (docs/sdk.md, rsocket-js defect 5). The spec's way out without resumption is a new
 * connection (Protocol.md, "Stream Identifiers"): a connection that has opened this many
 * streams is replaced, and closed once its last stream ends. The margin leaves room for
 * the requests sent while the replacement connects.
 */
export const STREAM_ID_BUDGET = (MAX_STREAM_ID - 1) / 2 - 2 ** 20;
const STREAM_ID_HARD_LIMIT = (MAX_STREAM_ID - 1) / 2;

export const LINK_EVENT = {
  CONNECTED: 'connected',
  DISCONNECTED: 'disconnected',
  RETRY_FAILED: 'retry-failed',
  ROTATED: 'rotated',
} as const;

/** What happens to a broker connection, for logs and live views. */
export type LinkEvent =
  | { kind: typeof LINK_EVENT.CONNECTED; broker: string; isReconnect: boolean }
  | { kind: typeof LINK_EVENT.DISCONNECTED; broker: string; error: Error | undefined; retryInMs: number | undefined }
  | { kind: typeof LINK_EVENT.RETRY_FAILED; broker: string; error: Error; attempt: number; retryInMs: number }
  | { kind: typeof LINK_EVENT.ROTATED; broker: string; streamsOpened: number };

export interface LinkOptions {
  address: BrokerAddress;
  setup: NonNullable<ConstructorParameters<typeof RSocketConnector>[0]['setup']>;
  /** The handlers rsocket-js calls for requests the broker routes here, and for METADATA_PUSH. */
  responder: Partial<RSocket>;
  connectTimeoutMs: number;
  reconnect: ReconnectPolicy | false;
  streamIdBudget: number;
  tap: FrameListener | undefined;
  onEvent: (event: LinkEvent) => void;
}

/** One rsocket-js connection to a broker, with the bookkeeping the SDK adds to it. */
export class BrokerConnection {
  streamsOpened = 0;
  inFlight = 0;
  isRetiring = false;
  isClosed = false;
  readonly closed: Promise<void>;
  private resolveClosed!: () => void;

  constructor(
    readonly rsocket: RSocket,
    readonly socket: Socket,
  ) {
    this.closed = new Promise((resolve) => (this.resolveClosed = resolve));
  }

  /** Counts a request starting on this connection. */
  begin(): void {
    this.streamsOpened++;
    this.inFlight++;
  }

  /** Counts a request ending; a retiring connection closes after its last one. */
  end(): void {
    this.inFlight--;
    if (this.isRetiring && this.inFlight === 0) this.close();
  }

  /** rsocket-js closed the connection (the peer left, or we closed it). */
  markClosed(): void {
    this.isClosed = true;
    this.awaitSocketClose();
  }

  /** Closes the socket (rsocket-js ends it gracefully) and resolves once it is gone. */
  async close(): Promise<void> {
    if (!this.isClosed) {
      this.isClosed = true;
      this.rsocket.close();
      this.awaitSocketClose();
    }
    await this.closed;
  }

  private awaitSocketClose(): void {
    if (this.socket.destroyed) {
      this.resolveClosed();
      return;
    }
    this.socket.once('close', () => this.resolveClosed());
    // A peer that never closes its side must not hold us.
    setTimeout(() => this.socket.destroy(), 2_000).unref();
  }
}

const LINK_STATE = { IDLE: 'idle', CONNECTING: 'connecting', CONNECTED: 'connected', WAITING: 'waiting', CLOSED: 'closed' } as const;
type LinkState = (typeof LINK_STATE)[keyof typeof LINK_STATE];

/**
 * The SDK's relation with one broker: a connection that is replaced when it drops
 * (exponential backoff with jitter, the same SETUP each time, so the services it
 * publishes are registered again) and when its stream ids run low.
 */
export class BrokerLink {
  readonly name: string;
  /** The broker's id in its cluster, once a broker list or a state file named it. */
  id: string | undefined;
  current: BrokerConnection | undefined;
  private state: LinkState = LINK_STATE.IDLE;
  private attempt = 0;
  private retryTimer: NodeJS.Timeout | undefined;
  private replacement: Promise<void> | undefined;
  private readonly retiring = new Set<BrokerConnection>();
  private readonly connectedListeners = new Set<() => void>();

  constructor(private readonly options: LinkOptions) {
    this.name = formatBrokerAddress(options.address);
  }

  get address(): BrokerAddress {
    return this.options.address;
  }

  get isConnected(): boolean {
    return this.current !== undefined && !this.current.isClosed;
  }

  get isClosed(): boolean {
    return this.state === LINK_STATE.CLOSED;
  }

  /** First connection. On failure the link keeps retrying in the background (if allowed) and the error is thrown. */
  async open(): Promise<void> {
    this.state = LINK_STATE.CONNECTING;
    try {
      this.adopt(await this.dial(), false);
    } catch (error) {
      if (this.isClosed) throw error;
      this.scheduleRetry(true);
      throw error;
    }
  }

  /** A connection for one more request, or undefined while there is none. */
  acquire(): BrokerConnection | undefined {
    const connection = this.current;
    if (!connection || connection.isClosed) return undefined;
    if (connection.streamsOpened >= this.options.streamIdBudget) {
      this.replace();
      if (connection.streamsOpened >= STREAM_ID_HARD_LIMIT) return undefined;
    }
    return connection;
  }

  /** Calls `listener` the next time this link connects. */
  onNextConnect(listener: () => void): () => void {
    this.connectedListeners.add(listener);
    return () => this.connectedListeners.delete(listener);
  }

  async close(): Promise<void> {
    this.state = LINK_STATE.CLOSED;
    clearTimeout(this.retryTimer);
    const connections = [...this.retiring, ...(this.current ? [this.current] : [])];
    this.current = undefined;
    await Promise.all(connections.map((connection) => connection.close()));
  }

  private async dial(): Promise<BrokerConnection> {
    const { address, connectTimeoutMs } = this.options;
    let socket: Socket | undefined;
    const transport = new TcpClientTransport({
      connectionOptions: { host: address.host, port: address.port },
      socketCreator: (connectionOptions) => (socket = openTappedSocket(connectionOptions, this.options.tap)),
    });
    const connector = new RSocketConnector({ setup: this.options.setup, transport, responder: this.options.responder });
    let timer: NodeJS.Timeout | undefined;
    let rsocket: RSocket;
    try {
      rsocket = await Promise.race([
        connector.connect(),
        new Promise<never>((_, reject) => {
          timer = setTimeout(() => reject(new ConnectError(`could not connect to ${this.name} within ${connectTimeoutMs} ms`)), connectTimeoutMs);
        }),
      ]);
    } catch (error) {
      socket?.destroy();
      throw error instanceof RsbError ? error : describeConnectFailure(address.host, address.port, error as NodeJS.ErrnoException);
    } finally {
      clearTimeout(timer);
    }
    const connection = new BrokerConnection(rsocket, socket!);
    rsocket.onClose((error) => this.onConnectionClosed(connection, error));
    try {
      await confirmSetup(socket!, `broker ${this.name}`, connectTimeoutMs);
    } catch (error) {
      await connection.close();
      throw error;
    }
    return connection;
  }

  private adopt(connection: BrokerConnection, isReconnect: boolean): void {
    if (this.isClosed) {
      void connection.close();
      return;
    }
    const previous = this.current;
    this.current = connection;
    this.state = LINK_STATE.CONNECTED;
    this.attempt = 0;
    if (previous && !previous.isClosed) this.retire(previous);
    this.options.onEvent({ kind: LINK_EVENT.CONNECTED, broker: this.name, isReconnect });
    const listeners = [...this.connectedListeners];
    this.connectedListeners.clear();
    for (const listener of listeners) listener();
  }

  /** Opens the connection that takes over from one whose stream ids run low. */
  private replace(): void {
    if (this.replacement || this.isClosed) return;
    const streamsOpened = this.current?.streamsOpened ?? 0;
    this.replacement = this.dial()
      .then((connection) => {
        this.options.onEvent({ kind: LINK_EVENT.ROTATED, broker: this.name, streamsOpened });
        this.adopt(connection, true);
      })
      .catch(() => {
        // The old connection serves on until its hard limit; the next request tries again.
      })
      .finally(() => (this.replacement = undefined));
  }

  private retire(connection: BrokerConnection): void {
    connection.isRetiring = true;
    this.retiring.add(connection);
    void connection.closed.then(() => this.retiring.delete(connection));
    if (connection.inFlight === 0) void connection.close();
  }

  private onConnectionClosed(connection: BrokerConnection, error: Error | undefined): void {
    connection.markClosed();
    if (connection !== this.current || this.isClosed) return;
    this.current = undefined;
    const retryInMs = this.scheduleRetry(false);
    this.options.onEvent({ kind: LINK_EVENT.DISCONNECTED, broker: this.name, error, retryInMs });
  }

  /** Returns the wait before the next attempt, or undefined when the link gives up. */
  private scheduleRetry(isFirstConnect: boolean): number | undefined {
    const policy = this.options.reconnect;
    if (policy === false || this.isClosed) {
      this.state = LINK_STATE.CLOSED;
      return undefined;
    }
    this.state = LINK_STATE.WAITING;
    const delay = computeBackoffDelay(policy, this.attempt++);
    // Not unref'd: a program whose only work is serving through the broker must live on while it reconnects.
    this.retryTimer = setTimeout(() => void this.retry(isFirstConnect), delay);
    return delay;
  }

  private async retry(isFirstConnect: boolean): Promise<void> {
    if (this.isClosed) return;
    this.state = LINK_STATE.CONNECTING;
    try {
      this.adopt(await this.dial(), !isFirstConnect);
    } catch (error) {
      if (this.isClosed) return;
      const attempt = this.attempt;
      const retryInMs = this.scheduleRetry(isFirstConnect);
      if (retryInMs !== undefined) this.options.onEvent({ kind: LINK_EVENT.RETRY_FAILED, broker: this.name, error: error as Error, attempt, retryInMs });
    }
  }
}
