import { NoBrokerError, UsageError } from '../errors.js';
import { ProtocolError, type BrokerAddress } from '../protocol/index.js';
import {
  computeBackoffDelay,
  DEFAULT_RECONNECT_POLICY,
  PeerConnection,
  type FramedConnectionOptions,
  type ReconnectPolicy,
  type SetupOptions,
  type StreamFrameHandler,
} from '../transport/index.js';
import { diffBrokerList, isSameAddress, readBrokerListPush } from './broker-list.js';

/** A broker to connect to: from a cluster's state file (with its id), a `--broker` flag, or a pushed list. */
export interface BrokerEndpoint {
  host: string;
  port: number;
  id?: string;
}

export interface BrokerPoolOptions extends SetupOptions, FramedConnectionOptions {
  /** Where to start: every broker of a cluster, or any one of them. */
  brokers: BrokerEndpoint[];
  /**
   * Follow the broker lists the brokers push (docs/architecture.md, "The cluster model"): connect to the
   * brokers a list names, and leave those a list no longer names. Default true.
   */
  followBrokerList?: boolean;
  /** Connections to each broker. Default 1. */
  connectionsPerBroker?: number;
  connectTimeoutMs?: number;
  /** How long to wait before connecting again to a broker that went away or could not be reached. */
  reconnect?: Partial<ReconnectPolicy>;
  /** See PeerConnectOptions.settleMs: for brokers built on rsocket-js. */
  settleMs?: number;
  onEvent?: (event: BrokerPoolEvent) => void;
}

export type BrokerPoolEvent =
  | { kind: 'connected'; broker: string; slot: number; isReconnect: boolean }
  | { kind: 'disconnected'; broker: string; slot: number; message: string; retryInMs: number }
  | { kind: 'connect-failed'; broker: string; slot: number; message: string; retryInMs: number }
  | { kind: 'broker-list'; from: string; cluster: string; brokers: BrokerAddress[] }
  | { kind: 'broker-added' | 'broker-removed'; broker: string }
  | { kind: 'bad-event'; from: string; message: string };

export const LINK_STATE = {
  CONNECTING: 'connecting',
  UP: 'up',
  /** Lost or never reached: a reconnect is scheduled. */
  DOWN: 'down',
  CLOSED: 'closed',
} as const;
export type LinkState = (typeof LINK_STATE)[keyof typeof LINK_STATE];

/** One broker of the pool, known by address and, once it has pushed its list or came from a state file, by id. */
export class BrokerMember<C> {
  readonly links: BrokerLink<C>[] = [];

  constructor(
    public host: string,
    public port: number,
    public id: string | undefined,
  ) {}

  get address(): string {
    return `${this.host}:${this.port}`;
  }

  /** `id (host:port)`, or the address alone while the id is unknown. */
  get label(): string {
    return this.id ? `${this.id} (${this.address})` : this.address;
  }

  get isUp(): boolean {
    return this.links.some((link) => link.state === LINK_STATE.UP);
  }
}

/** One connection slot to one broker: reconnects on its own when lost. */
export class BrokerLink<C> {
  state: LinkState = LINK_STATE.CONNECTING;
  /** What the pool's owner built on the connection (a requester, a responder); set while connecting or up. */
  connection: C | undefined;
  peer: PeerConnection | undefined;
  failures = 0;
  hasConnected = false;
  lastError: Error | undefined;
  timer: NodeJS.Timeout | undefined;
  /** Counts connection attempts: the outcome of an attempt that a newer one replaced is dropped. */
  attempt = 0;

  constructor(
    readonly member: BrokerMember<C>,
    readonly slot: number,
  ) {}
}

export interface BrokerPoolHooks<C> {
  /** Builds the stream handler of a new connection, before any frame arrives. */
  create(peer: PeerConnection, link: BrokerLink<C>): C;
  onUp?(link: BrokerLink<C>): void;
  /** The link is down or removed; its connection's requests have failed or are failing. */
  onDown?(link: BrokerLink<C>): void;
}

/**
 * Connections to every broker of a cluster, for the project's lean endpoints. Brokers of
 * a cluster are independent (docs/architecture.md, "The cluster model"), so a client connects to each:
 * the pool starts from the brokers it is given, learns the rest from the list each broker
 * pushes, reconnects to a broker that went away (backoff with jitter, doubling up to a
 * ceiling) and tells its owner when a connection comes up or goes down.
 */
export class BrokerPool<C extends StreamFrameHandler> {
  readonly members: BrokerMember<C>[] = [];
  /** The cluster's name, once a broker has pushed it. */
  cluster = '';
  private isClosed = false;
  private isStarting = false;
  private pendingFirstAttempts = 0;
  private finishFirstRound: (() => void) | undefined;
  private readonly emit: (event: BrokerPoolEvent) => void;
  private readonly reconnect: ReconnectPolicy;

  constructor(
    private readonly options: BrokerPoolOptions,
    private readonly hooks: BrokerPoolHooks<C>,
  ) {
    this.emit = options.onEvent ?? (() => {});
    this.reconnect = { ...DEFAULT_RECONNECT_POLICY, ...options.reconnect };
  }

  /**
   * Connects to every broker given, and to those their pushed lists name. Resolves once
   * each has been tried once and at least one connection is up; the others keep trying in
   * the background. Rejects with NoBrokerError when none could be reached.
   */
  async start(): Promise<void> {
    if (this.options.brokers.length === 0) throw new UsageError('no broker to connect to', 'Give --broker HOST:PORT or --cluster NAME.');
    const firstRound = new Promise<void>((resolve) => (this.finishFirstRound = resolve));
    this.isStarting = true;
    for (const endpoint of this.options.brokers) {
      if (!this.members.some((member) => isSameAddress(member, endpoint))) this.addMember(endpoint);
    }
    await firstRound;
    if (this.liveLinks().length === 0) {
      const reasons = this.members.map((member) => `${member.label}: ${member.links[0]?.lastError?.message ?? 'not reached'}`);
      const cause = this.members[0]?.links[0]?.lastError;
      await this.close();
      throw new NoBrokerError(`no broker could be connected (${reasons.join('; ')})`, 'Is the cluster up? Check it with `rsb cluster status`.', { cause });
    }
  }

  /** Links whose connection is up, in member order. */
  liveLinks(): BrokerLink<C>[] {
    const live: BrokerLink<C>[] = [];
    for (const member of this.members) for (const link of member.links) if (link.state === LINK_STATE.UP) live.push(link);
    return live;
  }

  async close(): Promise<void> {
    this.isClosed = true;
    const closing = this.members.flatMap((member) => member.links.map((link) => this.closeLink(link)));
    await Promise.all(closing);
  }

  private addMember(endpoint: BrokerEndpoint): BrokerMember<C> {
    const member = new BrokerMember<C>(endpoint.host, endpoint.port, endpoint.id);
    this.members.push(member);
    const count = this.options.connectionsPerBroker ?? 1;
    for (let slot = 0; slot < count; slot++) {
      const link = new BrokerLink(member, slot);
      member.links.push(link);
      this.connect(link);
    }
    return member;
  }

  private connect(link: BrokerLink<C>): void {
    link.timer = undefined;
    link.state = LINK_STATE.CONNECTING;
    const attempt = ++link.attempt;
    const isFirstAttempt = this.isStarting;
    if (isFirstAttempt) this.pendingFirstAttempts++;
    const { member } = link;
    const { brokers, followBrokerList, connectionsPerBroker, reconnect, onEvent, ...setup } = this.options;
    PeerConnection.connect(
      {
        ...setup,
        host: member.host,
        port: member.port,
        onMetadataPush: (metadata) => this.onMetadataPush(link, metadata),
      },
      (peer) => {
        const connection = this.hooks.create(peer, link);
        if (attempt === link.attempt) link.connection = connection;
        return connection;
      },
    )
      .then(
        (peer) => (attempt === link.attempt ? this.onConnected(link, peer) : void peer.close()),
        (error: Error) => {
          if (attempt === link.attempt) this.onConnectFailed(link, error);
        },
      )
      .finally(() => {
        if (isFirstAttempt && --this.pendingFirstAttempts === 0) {
          this.isStarting = false;
          this.finishFirstRound?.();
        }
      });
  }

  private onConnected(link: BrokerLink<C>, peer: PeerConnection): void {
    if (link.state === LINK_STATE.CLOSED) {
      void peer.close();
      return;
    }
    link.peer = peer;
    link.state = LINK_STATE.UP;
    link.failures = 0;
    const isReconnect = link.hasConnected;
    link.hasConnected = true;
    this.hooks.onUp?.(link);
    this.emit({ kind: 'connected', broker: link.member.label, slot: link.slot, isReconnect });
    void peer.closed.then((error) => this.onLost(link, peer, error));
  }

  private onLost(link: BrokerLink<C>, peer: PeerConnection, error: Error | undefined): void {
    if (link.peer !== peer) return;
    link.peer = undefined;
    link.connection = undefined;
    if (link.state !== LINK_STATE.UP) return;
    link.state = LINK_STATE.DOWN;
    link.lastError = error;
    this.hooks.onDown?.(link);
    const retryInMs = this.scheduleReconnect(link);
    this.emit({ kind: 'disconnected', broker: link.member.label, slot: link.slot, message: error?.message ?? 'closed by the broker', retryInMs });
  }

  private onConnectFailed(link: BrokerLink<C>, error: Error): void {
    link.connection = undefined;
    link.lastError = error;
    if (link.state === LINK_STATE.CLOSED) return;
    link.state = LINK_STATE.DOWN;
    link.failures++;
    const retryInMs = this.scheduleReconnect(link);
    this.emit({ kind: 'connect-failed', broker: link.member.label, slot: link.slot, message: error.message, retryInMs });
  }

  /** Backoff with jitter (ReconnectPolicy), so that the clients of a restarted broker do not all come back in the same millisecond. */
  private scheduleReconnect(link: BrokerLink<C>): number {
    if (this.isClosed) return 0;
    const delay = computeBackoffDelay(this.reconnect, Math.max(0, link.failures - 1));
    // Not unref'd: a program whose only work is serving through the brokers must live on while it reconnects.
    link.timer = setTimeout(() => this.connect(link), delay);
    return delay;
  }

  private async closeLink(link: BrokerLink<C>): Promise<void> {
    const wasUp = link.state === LINK_STATE.UP;
    link.state = LINK_STATE.CLOSED;
    link.attempt++;
    clearTimeout(link.timer);
    link.timer = undefined;
    if (wasUp) this.hooks.onDown?.(link);
    const peer = link.peer;
    link.peer = undefined;
    if (peer) await peer.close();
  }

  private onMetadataPush(link: BrokerLink<C>, metadata: Buffer): void {
    const from = link.member.label;
    try {
      const list = readBrokerListPush(metadata);
      if (!list) return;
      if (list.broker) link.member.id = list.broker;
      this.cluster = list.cluster;
      this.emit({ kind: 'broker-list', from, cluster: list.cluster, brokers: list.brokers });
      if (this.options.followBrokerList !== false && !this.isClosed) this.applyList(list.brokers);
    } catch (error) {
      if (!(error instanceof ProtocolError)) throw error;
      this.emit({ kind: 'bad-event', from, message: error.message });
    }
  }

  /** Connects to the brokers the list adds, follows a broker whose address changed, leaves the brokers it drops. */
  private applyList(brokers: BrokerAddress[]): void {
    const changes = diffBrokerList(this.members, brokers);
    for (const { member, entry } of changes.kept) member.id = entry.id;
    for (const { member, entry } of changes.moved) {
      // The broker moved (restarted on another port): reconnect there.
      member.id = entry.id;
      member.host = entry.host;
      member.port = entry.port;
      for (const link of member.links) void this.restartLink(link);
    }
    for (const entry of changes.added) {
      this.addMember(entry);
      this.emit({ kind: 'broker-added', broker: `${entry.id} (${entry.host}:${entry.port})` });
    }
    for (const member of changes.removed) {
      this.members.splice(this.members.indexOf(member), 1);
      for (const link of member.links) void this.closeLink(link);
      this.emit({ kind: 'broker-removed', broker: member.label });
    }
  }

  private async restartLink(link: BrokerLink<C>): Promise<void> {
    await this.closeLink(link);
    if (this.isClosed) return;
    link.failures = 0;
    this.connect(link);
  }
}
