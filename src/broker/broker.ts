import { BROKER_ROUTES, DEFAULT_BROKER_PORT, ERROR_CODE, MAX_FRAME_LENGTH, TRANSPORT, trimPlainUris, type BrokerListEntry } from '../protocol/index.js';
import { FramedConnection } from '../transport/framed-connection.js';
import { JwtAuthenticator, type JwtKeyOptions } from './auth.js';
import { CIRCUIT_STATE } from './circuit-breaker.js';
import { BrokerClock } from './clock.js';
import { ClusterMembership, type ClusterDefinition } from './cluster-membership.js';
import type { BrokerEvent } from './events.js';
import { Listener, type AcceptedConnection, type BoundListener, type BrokerTlsOptions, type ListenerSpec } from './listeners.js';
import { listAppRateLimits, DEFAULT_MANAGEMENT, resolveServicePolicy, type ManagementOptions } from './policy.js';
import { AppRateLimits } from './rate-limiter.js';
import type { AdminSource, BrokerSnapshot, ConnectionSummary } from './readout.js';
import { ServiceRegistry } from './registry.js';
import { Router, type LocalRoute } from './router.js';
import { Session, type SessionPorts } from './session.js';
import { StreamTable } from './stream-table.js';
import { createBrokerStats, REJECTION_NAMES, type BrokerStats, type RejectionName } from './traffic-stats.js';

export interface BrokerOptions extends ManagementOptions {
  /** The one TCP listener when `listen` is empty (`--host`/`--port`). */
  host: string;
  port: number;
  /** Every listener, on any transport (`--listen URI`); empty: one TCP listener on host:port. */
  listen: ListenerSpec[];
  /** The certificate of the tcps and wss listeners, and what client certificates must be; null: no TLS listener. */
  tls: BrokerTlsOptions | null;
  /** Origins a browser's WebSocket upgrade may come from; empty: any. */
  wsAllowedOrigins: string[];
  /** Time a connection has to finish its TLS handshake and WebSocket upgrade before it is closed. */
  handshakeTimeoutMs: number;
  /** A name for this node, shown to clients and in errors. */
  id: string;
  /** Largest frame accepted, length prefix excluded (u24 at most). */
  maxFrameLength: number;
  /** A connection that has not sent SETUP within this time is closed. */
  setupTimeoutMs: number;
  /** JWT authentication of every connection, or null to let anyone in. */
  auth: JwtKeyOptions | null;
  /** Connections beyond this many are refused with REJECTED_SETUP as they arrive. */
  maxConnections: number;
  /**
   * Where the broker's even stream ids start on each connection (they count up from just
   * after it and wrap below 2^31). Only tests move it, to reach the wrap quickly.
   */
  firstStreamIdAfter: number;
  /** The cluster this broker belongs to: its broker list is pushed to every client. */
  cluster?: ClusterDefinition;
  /** A JSON file holding the cluster's list (`rsb cluster up` writes it); read at start and watched for changes. */
  clusterFile?: string;
}

export const DEFAULT_BROKER_OPTIONS: BrokerOptions = {
  host: '127.0.0.1',
  port: DEFAULT_BROKER_PORT,
  listen: [],
  tls: null,
  wsAllowedOrigins: [],
  handshakeTimeoutMs: 10_000,
  id: 'broker-1',
  maxFrameLength: MAX_FRAME_LENGTH,
  setupTimeoutMs: 10_000,
  auth: null,
  maxConnections: 100_000,
  firstStreamIdAfter: 0,
  ...DEFAULT_MANAGEMENT,
};

/** A connection refused at the connection limit: nothing it sends is read. */
const REFUSED_CONNECTION = { onFrame() {}, onProtocolError() {}, onClose() {} };

/** How often circuit breakers slide their windows and request timeouts are checked. */
const MANAGEMENT_TICK_MS = 100;


/**
 * One broker node: accepts connections, keeps a session for each, and builds the parts a
 * request passes through — the router (where it goes), the stream table (its stream's
 * life, forwarding), the registry (who serves what) — handing each the few things it uses.
 * Its timers drive the clock, idle-connection sweeps, circuit windows and request timeouts.
 */
export class Broker implements AdminSource {
  readonly options: BrokerOptions;
  readonly registry: ServiceRegistry;
  readonly router: Router;
  readonly streams: StreamTable;
  /** Verifies the token of each SETUP; null when the broker lets anyone in. */
  readonly authenticator: JwtAuthenticator | null;
  readonly appLimits: AppRateLimits;
  /** REJECTED answers by reason (REJECTION). */
  readonly rejections = new Float64Array(REJECTION_NAMES.length);
  readonly sessions = new Set<Session>();
  readonly membership: ClusterMembership;
  readonly stats: BrokerStats = createBrokerStats();
  readonly clock = new BrokerClock();
  private readonly sessionPorts: SessionPorts;
  private readonly listeners: Listener[];
  private bound: BoundListener[] = [];
  private sweepTimer: NodeJS.Timeout | undefined;
  private tickTimer: NodeJS.Timeout | undefined;
  private isStopping = false;
  private isDraining = false;
  /** What clients are told of this broker (`rsb start --advertise`); where it listens until set. */
  private advertised: Pick<BrokerListEntry, 'host' | 'port' | 'uris'> | undefined;
  private sessionCounter = 0;

  constructor(
    options: Partial<BrokerOptions> = {},
    private readonly emit: (event: BrokerEvent) => void = () => {},
  ) {
    this.options = { ...DEFAULT_BROKER_OPTIONS, ...options };
    const clock = this.clock;
    this.registry = new ServiceRegistry(
      (serviceKey) => resolveServicePolicy(this.options, serviceKey),
      () => clock.now,
    );
    this.authenticator = this.options.auth ? new JwtAuthenticator(this.options.auth) : null;
    this.appLimits = new AppRateLimits(listAppRateLimits(this.options));
    this.membership = new ClusterMembership({
      describeSelf: () => this.describeSelf(),
      startedAt: this.startedAt,
      readyClients: () => [...this.sessions].filter((session) => session.isReady),
      emit,
    });
    this.streams = new StreamTable(clock, this.stats);
    this.router = new Router({
      brokerId: this.id,
      clock,
      findService: (key, id) => this.registry.entry(key, id),
      streams: this.streams,
      stats: this.stats,
      rejections: this.rejections,
      localRoutes: this.buildLocalRoutes(),
    });
    this.sessionPorts = {
      clock,
      maxFrameLength: this.options.maxFrameLength,
      firstStreamIdAfter: this.options.firstStreamIdAfter,
      authenticator: this.authenticator,
      appLimits: this.appLimits,
      router: this.router,
      streams: this.streams,
      stats: this.stats,
      emit,
      onReady: (session) => this.onSessionReady(session),
      onClosed: (session, wasReady, error) => this.onSessionClosed(session, wasReady, error),
    };
    const specs = this.options.listen.length > 0 ? this.options.listen : [{ transport: TRANSPORT.TCP, host: this.options.host, port: this.options.port }];
    const settings = {
      tls: this.options.tls,
      maxFrameLength: this.options.maxFrameLength,
      wsAllowedOrigins: this.options.wsAllowedOrigins,
      handshakeTimeoutMs: this.options.handshakeTimeoutMs,
    };
    const listenerPorts = {
      accept: (connection: AcceptedConnection) => this.accept(connection),
      refuse: ({ transport, remoteAddress, message }: { transport: ListenerSpec['transport']; remoteAddress: string; message: string }) =>
        this.emit({ kind: 'handshake-failed', transport, remoteAddress, message }),
      acceptFailed: ({ uri, message, count }: { uri: string; message: string; count: number }) => this.emit({ kind: 'accept-failed', uri, message, count }),
    };
    this.listeners = specs.map((spec) => new Listener(spec, settings, listenerPorts));
  }

  get id(): string {
    return this.options.id;
  }

  /** The host of the plain TCP listener, or of the first listener when there is none. */
  get host(): string {
    return this.mainListener?.host ?? this.options.host;
  }

  /** The port of the plain TCP listener, or of the first listener when there is none (the real one when asked for port 0); 0 before start. */
  get port(): number {
    return this.mainListener?.port ?? 0;
  }

  /** Every listener, bound (real ports), in the order given. */
  get boundListeners(): readonly BoundListener[] {
    return this.bound;
  }

  private get mainListener(): BoundListener | undefined {
    return this.bound.find((listener) => listener.transport === TRANSPORT.TCP) ?? this.bound[0];
  }

  /**
   * This broker as its cluster's list names it: its id, the TCP host and port older
   * clients dial, and a URI per listener — as it advertises them, or where its listeners
   * are bound until it does.
   */
  describeSelf(): BrokerListEntry {
    return { id: this.id, ...(this.advertised ?? trimPlainUris({ host: this.host, port: this.port, uris: this.bound.map((listener) => listener.uri) })) };
  }

  get startedAt(): number {
    return this.clock.startedAt;
  }

  /**
   * Sets the addresses clients are told (once it listens: a port asked as 0 is known then),
   * one URI per listener (`rsb start --advertise`, else where each listener is bound).
   */
  advertiseAs(address: Pick<BrokerListEntry, 'host' | 'port' | 'uris'>): void {
    this.advertised = trimPlainUris(address);
  }

  /**
   * Begins a graceful leave (SIGTERM under an orchestrator): `isReady` turns false (the
   * admin `/readyz` answers 503), new connections are refused with REJECTED_SETUP, and
   * the clients of a cluster are pushed the list without this broker, so that they go to
   * the others. Connections in use stay until they close or the broker stops.
   */
  drain(): void {
    if (this.isDraining) return;
    this.isDraining = true;
    const cluster = this.membership.cluster;
    if (cluster) this.membership.update({ name: cluster.name, brokers: cluster.brokers.filter((entry) => entry.id !== this.id) });
  }

  /** Connections open now, past SETUP or not: a drain waits for them to reach 0. */
  get connectionCount(): number {
    return this.sessions.size;
  }

  async start(): Promise<{ host: string; port: number; listeners: readonly BoundListener[] }> {
    // A malformed cluster file fails the start before anything listens.
    if (this.options.cluster) this.membership.update(this.options.cluster);
    if (this.options.clusterFile) this.membership.watch(this.options.clusterFile);
    try {
      for (const listener of this.listeners) this.bound.push(await listener.start());
    } catch (error) {
      this.membership.stop();
      await Promise.all(this.listeners.map((listener) => listener.close()));
      this.bound = [];
      throw error;
    }
    this.sweepTimer = setInterval(() => this.sweep(), 1_000);
    this.sweepTimer.unref();
    if (this.hasTimedPolicies()) {
      this.tickTimer = setInterval(() => this.tick(), MANAGEMENT_TICK_MS);
      this.tickTimer.unref();
    }
    return { host: this.host, port: this.port, listeners: this.bound };
  }

  /** Stops accepting, tells every connection the broker is closing, and waits until all are gone. */
  async stop(): Promise<void> {
    this.isStopping = true;
    clearInterval(this.sweepTimer);
    clearInterval(this.tickTimer);
    this.membership.stop();
    const listenersClosed = Promise.all(this.listeners.map((listener) => listener.close()));
    for (const session of this.sessions) session.connection.close(ERROR_CODE.CONNECTION_CLOSE, `broker ${this.id} is shutting down`);
    await listenersClosed;
  }

  private accept({ carrier, transport, tlsSubject }: AcceptedConnection): void {
    if (this.isDraining) {
      this.refuse(carrier, `broker ${this.id} is draining: connect to another broker of its cluster`);
      return;
    }
    if (this.sessions.size >= this.options.maxConnections) {
      this.refuse(carrier, `broker ${this.id} is at its limit of ${this.options.maxConnections} connections: try another broker or later`);
      return;
    }
    this.stats.connectionsAccepted++;
    this.sessions.add(new Session(carrier, ++this.sessionCounter, this.sessionPorts, transport, tlsSubject));
  }

  /**
   * Turns a connection away at the limit without waiting for its SETUP: the ERROR frame on
   * stream 0 tells a client why (Protocol.md, REJECTED_SETUP: "the server rejected the setup").
   */
  private refuse(carrier: AcceptedConnection['carrier'], message: string): void {
    this.stats.connectionsRefused++;
    new FramedConnection(carrier, REFUSED_CONNECTION).close(ERROR_CODE.REJECTED_SETUP, message);
  }

  /** Listening, and neither draining nor shutting down. */
  get isReady(): boolean {
    return this.bound.length > 0 && !this.isStopping && !this.isDraining;
  }

  private onSessionReady(session: Session): void {
    this.registry.register(session, session.services);
    this.membership.announceTo(session);
    this.emit({ kind: 'session-ready', session });
  }

  private onSessionClosed(session: Session, wasReady: boolean, error: Error | undefined): void {
    this.sessions.delete(session);
    if (!wasReady) return;
    this.registry.unregister(session);
    this.streams.closeEnd(session);
    this.emit({ kind: 'session-closed', session, ...(error ? { error } : {}) });
  }

  /** Once a second: advance the clock, close connections that never sent SETUP or went silent past their lifetime. */
  private sweep(): void {
    const now = Date.now();
    const seconds = Math.floor((now - this.startedAt) / 1000);
    this.clock.seconds = seconds;
    for (const session of this.sessions) {
      if (session.isAwaitingSetup) {
        if (now - session.connectedAt > this.options.setupTimeoutMs) {
          session.fail(ERROR_CODE.INVALID_SETUP, `no SETUP within ${this.options.setupTimeoutMs} ms of connecting`);
        }
      } else if (session.isReady && (seconds - session.lastActivity) * 1000 > session.lifetimeMs + 1000) {
        session.fail(ERROR_CODE.CONNECTION_ERROR, `no frame within the connection's ${session.lifetimeMs} ms lifetime`);
      }
    }
  }

  private hasTimedPolicies(): boolean {
    const rules = [...this.options.services.values()];
    return this.options.circuitBreaker !== null || this.options.requestTimeoutMs > 0 || rules.some((rule) => rule.circuitBreaker || rule.requestTimeoutMs);
  }

  /** Every MANAGEMENT_TICK_MS: circuit breakers slide their windows and half-open; request-response calls past their timeout end. */
  private tick(): void {
    const now = (this.clock.now = performance.now());
    for (const entry of this.registry.entries) {
      for (const instance of entry.instances) instance.breaker?.tick(now);
    }
    this.streams.expireOverdue(this.sessions);
  }

  snapshot(): BrokerSnapshot {
    let ready = 0;
    for (const session of this.sessions) if (session.isReady) ready++;
    let openCircuits = 0;
    let halfOpenCircuits = 0;
    for (const entry of this.registry.entries) {
      for (const instance of entry.instances) {
        if (instance.breaker?.state === CIRCUIT_STATE.OPEN) openCircuits++;
        else if (instance.breaker?.state === CIRCUIT_STATE.HALF_OPEN) halfOpenCircuits++;
      }
    }
    return {
      id: this.id,
      host: this.host,
      port: this.port,
      uptimeMs: Date.now() - this.startedAt,
      connections: ready,
      services: this.registry.serviceCount,
      instances: this.registry.instanceCount,
      openCircuits,
      halfOpenCircuits,
      rejections: Object.fromEntries(REJECTION_NAMES.map((name, index) => [name, this.rejections[index]!])) as Record<RejectionName, number>,
      ...this.stats,
    };
  }

  /** Every ready connection, for the admin API. */
  listConnections(): ConnectionSummary[] {
    return [...this.sessions]
      .filter((session) => session.isReady)
      .map((session) => ({
        id: session.id,
        app: session.app.name,
        uuid: session.app.uuid,
        ...(session.grant ? { subject: session.grant.subject } : {}),
        address: session.remoteAddress,
        transport: session.transport,
        ...(session.tlsSubject ? { tlsSubject: session.tlsSubject } : {}),
        connectedAt: new Date(session.connectedAt).toISOString(),
        services: session.instances.map((instance) => instance.service.key),
        requesting: session.requested.size,
        serving: session.served.size,
      }));
  }

  private buildLocalRoutes(): Map<string, LocalRoute> {
    return new Map<string, LocalRoute>([
      [BROKER_ROUTES.SERVICES, () => ({ broker: this.id, services: this.registry.list() })],
      [BROKER_ROUTES.HEALTH, () => ({ status: this.isReady ? 'up' : this.isDraining && !this.isStopping ? 'draining' : 'stopping', ...this.snapshot() })],
      [BROKER_ROUTES.CLUSTER, () => this.membership.describe()],
    ]);
  }
}
