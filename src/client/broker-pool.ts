import { NoBrokerError, ResolveError, UsageError } from '../errors.js';
import { ProtocolError, type BrokerListEntry } from '../protocol/index.js';
import { formatBrokerAddress, isSameAddress, type BrokerAddress, type Transport } from './broker-address.js';
import { diffBrokerList, readBrokerListPush, selectListedAddress, type ListedBroker } from './broker-list.js';
import { formatBrokerName, isBrokerName, type BrokerName, type BrokerSource } from './broker-name.js';
import { NameWatch } from './name-watch.js';
import { computeBackoffDelay, DEFAULT_RECONNECT_POLICY, type ReconnectPolicy } from './reconnect-policy.js';

/**
 * Opens one connection to a broker and reports its end: all the pool knows of a
 * connection. rsb's lean endpoints dial a PeerConnection (src/client/lean-dialer.ts), the
 * SDK an rsocket-js one (src/sdk/rsocket-dialer.ts).
 */
export interface BrokerDialer<C> {
  /**
   * Connects and completes the handshake (SETUP accepted); rejects with ConnectError or
   * SetupRejectedError. `onMetadataPush` must hear every METADATA_PUSH from the first frame
   * on: a broker pushes its cluster's list as soon as it accepts SETUP.
   */
  dial(address: BrokerAddress, onMetadataPush: (metadata: Buffer) => void): Promise<C>;
  /** Resolves once the connection can carry nothing more (the broker left, or it was closed), with why. */
  closed(connection: C): Promise<Error | undefined>;
  /** Closes it gracefully; resolves once it is gone. */
  close(connection: C): Promise<void>;
}

export interface BrokerPoolOptions {
  /**
   * Where to start: every broker of a cluster, or any one of them; or a DNS name standing
   * for every broker behind it (`dns:NAME:PORT`), whose answer the pool follows: brokers
   * it adds are joined, brokers it drops are left.
   */
  brokers: BrokerSource[];
  /**
   * Follow the broker lists the brokers push (docs/architecture.md, "The cluster model"): connect to the
   * brokers a list names, and leave those a list no longer names. Default true.
   */
  followBrokerList?: boolean | undefined;
  /** Connections to each broker. Default 1. */
  connectionsPerBroker?: number | undefined;
  /** How long to wait before connecting again to a broker that went away or could not be reached; false: never again. */
  reconnect?: Partial<ReconnectPolicy> | false | undefined;
  onEvent?: ((event: LinkEvent) => void) | undefined;
}

export interface BrokerPoolHooks<C> {
  onUp?(link: BrokerLink<C>): void;
  /** The link is down or removed; its connection's requests have failed or are failing. */
  onDown?(link: BrokerLink<C>): void;
  /** Every METADATA_PUSH a broker sends, once the pool has followed any broker list in it. */
  onMetadataPush?(metadata: Buffer, member: BrokerMember<C>): void;
}

export const LINK_EVENT = {
  CONNECTED: 'connected',
  DISCONNECTED: 'disconnected',
  CONNECT_FAILED: 'connect-failed',
  /** A fresh connection took over from one that was up (the SDK's way out of running low on stream ids). */
  ROTATED: 'rotated',
  BROKER_LIST: 'broker-list',
  BROKER_ADDED: 'broker-added',
  BROKER_REMOVED: 'broker-removed',
  /** A METADATA_PUSH that is not a well-formed rsb event. */
  BAD_EVENT: 'bad-event',
  /** A broker name stopped resolving (it is tried again), or resolves again. */
  NAME_PROBLEM: 'name-problem',
} as const;

/** What happens to a pool's connections and members, for logs and live views. `broker` is the member's label. */
export type LinkEvent =
  | { kind: typeof LINK_EVENT.CONNECTED; broker: string; slot: number; isReconnect: boolean }
  | { kind: typeof LINK_EVENT.DISCONNECTED; broker: string; slot: number; error: Error | undefined; message: string; retryInMs: number | undefined }
  | { kind: typeof LINK_EVENT.CONNECT_FAILED; broker: string; slot: number; error: Error; message: string; retryInMs: number | undefined }
  | { kind: typeof LINK_EVENT.ROTATED; broker: string; slot: number }
  | { kind: typeof LINK_EVENT.BROKER_LIST; from: string; cluster: string; brokers: BrokerListEntry[] }
  | { kind: typeof LINK_EVENT.BROKER_ADDED | typeof LINK_EVENT.BROKER_REMOVED; broker: string }
  | { kind: typeof LINK_EVENT.BAD_EVENT; from: string; message: string }
  | { kind: typeof LINK_EVENT.NAME_PROBLEM; name: string; message: string | undefined; retryInMs: number | undefined };

export const LINK_STATE = {
  CONNECTING: 'connecting',
  UP: 'up',
  /** Lost or never reached: a reconnect is scheduled. */
  DOWN: 'down',
  /** Closed by its owner, removed by a broker list, or lost with reconnecting turned off. */
  CLOSED: 'closed',
} as const;
export type LinkState = (typeof LINK_STATE)[keyof typeof LINK_STATE];

/** One broker of the pool, known by address and, once it has pushed its list or came from a state file, by id. */
export class BrokerMember<C> implements BrokerAddress {
  readonly links: BrokerLink<C>[] = [];
  transport: Transport | undefined;
  host: string;
  port: number;
  path: string | undefined;
  id: string | undefined;
  /** The DNS name whose answer brought it in (`dns:NAME:PORT`): it is left when that answer drops it. */
  discoveredBy: string | undefined;

  constructor(address: BrokerAddress) {
    this.transport = address.transport;
    this.host = address.host;
    this.port = address.port;
    this.path = address.path;
    this.id = address.id;
  }

  /** `host:port` (formatBrokerAddress). */
  get name(): string {
    return formatBrokerAddress(this);
  }

  /** `id (host:port)`, or the name alone while the id is unknown. */
  get label(): string {
    return this.id ? `${this.id} (${this.name})` : this.name;
  }

  get isUp(): boolean {
    return this.links.some((link) => link.state === LINK_STATE.UP);
  }

  /** The broker restarted at another address, as a list says. */
  moveTo(listed: ListedBroker): void {
    this.id = listed.id;
    this.transport = listed.transport;
    this.host = listed.host;
    this.port = listed.port;
    this.path = listed.path;
  }
}

/** One connection slot to one broker: reconnects on its own when lost. */
export class BrokerLink<C> {
  state: LinkState = LINK_STATE.CONNECTING;
  /** The connection, while up. */
  connection: C | undefined;
  /** Attempts since the link was last up: the backoff grows with them. */
  retries = 0;
  hasConnected = false;
  isRotating = false;
  lastError: Error | undefined;
  timer: NodeJS.Timeout | undefined;
  /** Counts connection attempts: the outcome of an attempt that a newer one replaced is dropped. */
  attempt = 0;

  constructor(
    readonly member: BrokerMember<C>,
    readonly slot: number,
  ) {}
}

/**
 * Connections to every broker of a cluster: the one place an rsb endpoint's broker
 * connections live. Brokers of a cluster are independent (docs/architecture.md, "The cluster model"), so
 * a client connects to each: the pool starts from the brokers it is given, learns the
 * rest from the list each broker pushes, reconnects to a broker that went away (the
 * ReconnectPolicy: backoff with jitter) and tells its owner when a connection comes up
 * or goes down. What a connection is, the dialer decides.
 */
export class BrokerPool<C> {
  readonly members: BrokerMember<C>[] = [];
  /** The cluster's name, once a broker has pushed it. */
  cluster = '';
  private isClosed = false;
  private isStarting = false;
  private pendingFirstAttempts = 0;
  private finishFirstRound: (() => void) | undefined;
  private readonly watches: NameWatch[] = [];
  private readonly emit: (event: LinkEvent) => void;
  private readonly reconnect: ReconnectPolicy | false;

  constructor(
    private readonly options: BrokerPoolOptions,
    private readonly dialer: BrokerDialer<C>,
    private readonly hooks: BrokerPoolHooks<C> = {},
  ) {
    this.emit = options.onEvent ?? (() => {});
    this.reconnect = options.reconnect === false ? false : { ...DEFAULT_RECONNECT_POLICY, ...options.reconnect };
  }

  /**
   * Connects to every broker given, and to those their pushed lists name. Resolves once
   * each has been tried once and at least one connection is up; the others keep trying in
   * the background. Rejects with NoBrokerError, whose cause is the first broker's error,
   * when none could be reached.
   */
  async start(): Promise<void> {
    if (this.options.brokers.length === 0) throw new UsageError('no broker to connect to', 'Give --broker HOST:PORT or --cluster NAME.');
    const firstRound = new Promise<void>((resolve) => (this.finishFirstRound = resolve));
    this.isStarting = true;
    // The start itself counts as an attempt until every broker given is being tried: names resolve first.
    this.pendingFirstAttempts++;
    const unresolved = await this.watchNames(this.options.brokers.filter(isBrokerName));
    for (const address of this.options.brokers) {
      if (!isBrokerName(address) && !this.members.some((member) => isSameAddress(member, address))) this.addMember(address);
    }
    this.endFirstAttempt();
    await firstRound;
    if (this.liveLinks().length === 0) {
      const reasons = [...this.members.map((member) => `${member.label}: ${member.links[0]?.lastError?.message ?? 'not reached'}`), ...unresolved.map((error) => error.message)];
      const cause = this.members[0]?.links[0]?.lastError ?? unresolved[0];
      await this.close();
      throw new NoBrokerError(`no broker could be connected (${reasons.join('; ')})`, 'Is the cluster up? Check it with `rsb cluster status`.', { cause });
    }
  }

  /** Starts following each name; resolves once each has answered or failed once, with the failures. */
  private async watchNames(names: BrokerName[]): Promise<ResolveError[]> {
    const failures: ResolveError[] = [];
    await Promise.all(
      names.map(async (name) => {
        const label = formatBrokerName(name);
        const watch = new NameWatch(name, {
          onChange: (addresses) => this.applyAnswer(label, addresses),
          onProblem: (message, retryInMs) => this.emit({ kind: LINK_EVENT.NAME_PROBLEM, name: label, message, retryInMs }),
        });
        this.watches.push(watch);
        try {
          await watch.start();
        } catch (error) {
          if (!(error instanceof ResolveError)) throw error;
          failures.push(error);
        }
      }),
    );
    return failures;
  }

  /** A name's answer changed: join the brokers it adds, leave those it brought in and now drops. */
  private applyAnswer(name: string, addresses: BrokerAddress[]): void {
    if (this.isClosed) return;
    for (const address of addresses) {
      const known = this.members.find((member) => isSameAddress(member, address));
      if (known) {
        known.discoveredBy ??= name;
        continue;
      }
      const member = this.addMember(address);
      member.discoveredBy = name;
      if (!this.isStarting) this.emit({ kind: LINK_EVENT.BROKER_ADDED, broker: member.label });
    }
    for (const member of this.members.filter((known) => known.discoveredBy === name && !addresses.some((address) => isSameAddress(known, address)))) {
      this.removeMember(member);
    }
  }

  private removeMember(member: BrokerMember<C>): void {
    this.members.splice(this.members.indexOf(member), 1);
    for (const link of member.links) void this.closeLink(link);
    this.emit({ kind: LINK_EVENT.BROKER_REMOVED, broker: member.label });
  }

  /** Links whose connection is up, in member order. */
  liveLinks(): BrokerLink<C>[] {
    const live: BrokerLink<C>[] = [];
    for (const member of this.members) for (const link of member.links) if (link.state === LINK_STATE.UP) live.push(link);
    return live;
  }

  /**
   * Opens a fresh connection to the link's broker while the current one serves on, and
   * makes it the link's connection once its handshake is done. Resolves with the
   * connection it took over from — which the pool no longer watches: the caller drains
   * and closes it — or undefined when the link was not up, already rotating, lost or closed
   * meanwhile, or the dial failed (the current connection then serves on).
   */
  async rotate(link: BrokerLink<C>): Promise<C | undefined> {
    const previous = link.connection;
    if (link.isRotating || link.state !== LINK_STATE.UP || previous === undefined) return undefined;
    link.isRotating = true;
    let fresh: C;
    try {
      fresh = await this.dialer.dial(link.member, (metadata) => this.onMetadataPush(link, metadata));
    } catch {
      return undefined;
    } finally {
      link.isRotating = false;
    }
    if (link.connection !== previous || link.state !== LINK_STATE.UP) {
      void this.dialer.close(fresh);
      return undefined;
    }
    link.connection = fresh;
    this.watch(link, fresh);
    this.emit({ kind: LINK_EVENT.ROTATED, broker: link.member.label, slot: link.slot });
    return previous;
  }

  async close(): Promise<void> {
    this.isClosed = true;
    for (const watch of this.watches) watch.stop();
    const closing = this.members.flatMap((member) => member.links.map((link) => this.closeLink(link)));
    await Promise.all(closing);
  }

  private addMember(address: BrokerAddress): BrokerMember<C> {
    const member = new BrokerMember<C>(address);
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
    this.dialer
      .dial(link.member, (metadata) => this.onMetadataPush(link, metadata))
      .then(
        (connection) => (attempt === link.attempt ? this.onConnected(link, connection) : void this.dialer.close(connection)),
        (error: Error) => {
          if (attempt === link.attempt) this.onConnectFailed(link, error);
        },
      )
      .finally(() => {
        if (isFirstAttempt) this.endFirstAttempt();
      });
  }

  private endFirstAttempt(): void {
    if (--this.pendingFirstAttempts > 0) return;
    this.isStarting = false;
    this.finishFirstRound?.();
  }

  private onConnected(link: BrokerLink<C>, connection: C): void {
    if (link.state === LINK_STATE.CLOSED) {
      void this.dialer.close(connection);
      return;
    }
    link.connection = connection;
    link.state = LINK_STATE.UP;
    link.retries = 0;
    const isReconnect = link.hasConnected;
    link.hasConnected = true;
    this.watch(link, connection);
    this.hooks.onUp?.(link);
    this.emit({ kind: LINK_EVENT.CONNECTED, broker: link.member.label, slot: link.slot, isReconnect });
  }

  private watch(link: BrokerLink<C>, connection: C): void {
    void this.dialer.closed(connection).then((error) => this.onLost(link, connection, error));
  }

  private onLost(link: BrokerLink<C>, connection: C, error: Error | undefined): void {
    // A connection the link has let go of (closed, rotated out) ends without consequence.
    if (link.connection !== connection) return;
    link.connection = undefined;
    if (link.state !== LINK_STATE.UP) return;
    link.state = LINK_STATE.DOWN;
    link.lastError = error;
    this.hooks.onDown?.(link);
    const retryInMs = this.scheduleReconnect(link);
    const message = error?.message ?? 'closed by the broker';
    this.emit({ kind: LINK_EVENT.DISCONNECTED, broker: link.member.label, slot: link.slot, error, message, retryInMs });
  }

  private onConnectFailed(link: BrokerLink<C>, error: Error): void {
    link.lastError = error;
    if (link.state === LINK_STATE.CLOSED) return;
    link.state = LINK_STATE.DOWN;
    const retryInMs = this.scheduleReconnect(link);
    this.emit({ kind: LINK_EVENT.CONNECT_FAILED, broker: link.member.label, slot: link.slot, error, message: error.message, retryInMs });
  }

  /**
   * The one reconnect schedule of rsb's endpoints: backoff with jitter (ReconnectPolicy),
   * so that the clients of a restarted broker do not all come back in the same millisecond.
   * Returns the wait, or undefined when the link does not try again.
   */
  private scheduleReconnect(link: BrokerLink<C>): number | undefined {
    if (this.isClosed) return undefined;
    if (this.reconnect === false) {
      link.state = LINK_STATE.CLOSED;
      return undefined;
    }
    const delay = computeBackoffDelay(this.reconnect, link.retries++);
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
    const connection = link.connection;
    link.connection = undefined;
    if (connection !== undefined) await this.dialer.close(connection);
  }

  private onMetadataPush(link: BrokerLink<C>, metadata: Buffer): void {
    const { member } = link;
    try {
      const list = readBrokerListPush(metadata);
      if (list) {
        if (list.broker) member.id = list.broker;
        this.cluster = list.cluster;
        this.emit({ kind: LINK_EVENT.BROKER_LIST, from: member.label, cluster: list.cluster, brokers: list.brokers });
        if (this.options.followBrokerList !== false && !this.isClosed) this.applyList(list.brokers, member.transport);
      }
    } catch (error) {
      if (!(error instanceof ProtocolError)) throw error;
      this.emit({ kind: LINK_EVENT.BAD_EVENT, from: member.label, message: error.message });
    }
    this.hooks.onMetadataPush?.(metadata, member);
  }

  /**
   * Connects to the brokers the list adds, follows a broker whose address changed, leaves
   * the brokers it drops — each at its URI of the transport the list came over.
   */
  private applyList(brokers: BrokerListEntry[], transport: Transport | undefined): void {
    const listed = brokers.flatMap((entry) => selectListedAddress(entry, transport) ?? []);
    const changes = diffBrokerList(this.members, listed);
    for (const { member, entry } of changes.kept) member.id = entry.id;
    for (const { member, entry } of changes.moved) {
      // The broker moved (restarted on another port): reconnect there.
      member.moveTo(entry);
      for (const link of member.links) void this.restartLink(link);
    }
    for (const entry of changes.added) {
      const member = this.addMember(entry);
      this.emit({ kind: LINK_EVENT.BROKER_ADDED, broker: member.label });
    }
    for (const member of changes.removed) this.removeMember(member);
  }

  private async restartLink(link: BrokerLink<C>): Promise<void> {
    await this.closeLink(link);
    if (this.isClosed) return;
    link.retries = 0;
    this.connect(link);
  }
}
