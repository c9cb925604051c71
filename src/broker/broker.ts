import { createServer, type Server, type Socket } from 'node:net';
import { ListenError } from '../errors.js';
import { BROKER_ROUTES, DEFAULT_BROKER_PORT, encodeFrame, ERROR_CODE, FRAME_TYPE, MAX_FRAME_LENGTH, type BrokerListEntry } from '../protocol/index.js';
import { JwtAuthenticator, type JwtKeyOptions } from './auth.js';
import { CIRCUIT_STATE } from './circuit-breaker.js';
import { ClusterMembership, type ClusterDefinition } from './cluster-membership.js';
import { listAppRateLimits, DEFAULT_MANAGEMENT, resolveServicePolicy, type ManagementOptions } from './policy.js';
import { AppRateLimits } from './rate-limiter.js';
import { ServiceRegistry } from './registry.js';
import { Router, type LocalRoute } from './router.js';
import { Session } from './session.js';
import type { StreamLink } from './stream-link.js';
import { OUTCOME, REJECTION_NAMES, type Outcome, type RejectionName } from './traffic-stats.js';

export interface BrokerOptions extends ManagementOptions {
  host: string;
  port: number;
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
  id: 'broker-1',
  maxFrameLength: MAX_FRAME_LENGTH,
  setupTimeoutMs: 10_000,
  auth: null,
  maxConnections: 100_000,
  firstStreamIdAfter: 0,
  ...DEFAULT_MANAGEMENT,
};

/** How often circuit breakers slide their windows and request timeouts are checked. */
const MANAGEMENT_TICK_MS = 100;

export interface BrokerStats {
  connectionsAccepted: number;
  /** Connections turned away at the connection limit. */
  connectionsRefused: number;
  requestsRouted: number;
  requestsRejected: number;
  /** Requests the broker answered itself (rsb.broker.* routes). */
  requestsAnswered: number;
  framesForwarded: number;
  bytesForwarded: number;
  /** Connections refused at SETUP (bad credentials included). */
  setupsRejected: number;
}

export type BrokerEvent =
  | { kind: 'session-ready'; session: Session }
  | { kind: 'session-closed'; session: Session; error?: Error }
  | { kind: 'setup-rejected' | 'connection-error' | 'peer-error'; session: Session; message: string; code?: number }
  | { kind: 'cluster-changed'; cluster: string; brokers: BrokerListEntry[] }
  | { kind: 'cluster-file-error'; path: string; message: string };

/**
 * One broker node: accepts connections, keeps a session for each, registers what they
 * publish and routes requests between them by forwarding frames.
 */
export class Broker {
  readonly options: BrokerOptions;
  readonly registry: ServiceRegistry;
  readonly router: Router;
  /** Verifies the token of each SETUP; null when the broker lets anyone in. */
  readonly authenticator: JwtAuthenticator | null;
  readonly appLimits: AppRateLimits;
  /** REJECTED answers by reason (REJECTION). */
  readonly rejections = new Float64Array(REJECTION_NAMES.length);
  readonly sessions = new Set<Session>();
  readonly membership = new ClusterMembership(this);
  readonly stats: BrokerStats = {
    connectionsAccepted: 0,
    connectionsRefused: 0,
    requestsRouted: 0,
    requestsRejected: 0,
    requestsAnswered: 0,
    framesForwarded: 0,
    bytesForwarded: 0,
    setupsRejected: 0,
  };
  /** Whole seconds since start: a coarse clock sessions stamp their activity with, at no cost per frame. */
  clock = 0;
  /**
   * Milliseconds (performance.now()) when the chunk being handled arrived: the clock of
   * rate limits, circuit breakers and latency. Read once per chunk of frames rather than
   * per request, it costs nothing per request, and the time between a request's chunk and
   * its answer's chunk is the latency the broker adds and sees.
   */
  now = performance.now();
  readonly startedAt = Date.now();
  private readonly server: Server;
  private sweepTimer: NodeJS.Timeout | undefined;
  private tickTimer: NodeJS.Timeout | undefined;
  private isStopping = false;
  private sessionCounter = 0;
  private boundPort = 0;

  constructor(
    options: Partial<BrokerOptions> = {},
    private readonly onEvent: (event: BrokerEvent) => void = () => {},
  ) {
    this.options = { ...DEFAULT_BROKER_OPTIONS, ...options };
    this.registry = new ServiceRegistry(
      (serviceKey) => resolveServicePolicy(this.options, serviceKey),
      () => this.now,
    );
    this.authenticator = this.options.auth ? new JwtAuthenticator(this.options.auth) : null;
    this.appLimits = new AppRateLimits(listAppRateLimits(this.options));
    this.router = new Router(this, this.buildLocalRoutes());
    this.server = createServer((socket) => this.accept(socket));
  }

  get id(): string {
    return this.options.id;
  }

  /** The port listened on (the real one when asked for port 0). */
  get port(): number {
    return this.boundPort;
  }

  async start(): Promise<{ host: string; port: number }> {
    // A malformed cluster file fails the start before anything listens.
    if (this.options.cluster) this.membership.update(this.options.cluster);
    if (this.options.clusterFile) this.membership.watch(this.options.clusterFile);
    await new Promise<void>((resolve, reject) => {
      this.server.once('error', (error: NodeJS.ErrnoException) => {
        const hint = error.code === 'EADDRINUSE' ? 'Another process listens there: pick another --port, or stop it.' : undefined;
        this.membership.stop();
        reject(new ListenError(`cannot listen on ${this.options.host}:${this.options.port}: ${error.code ?? error.message}`, hint, { cause: error }));
      });
      this.server.listen(this.options.port, this.options.host, () => resolve());
    });
    const address = this.server.address();
    this.boundPort = typeof address === 'object' && address ? address.port : this.options.port;
    this.sweepTimer = setInterval(() => this.sweep(), 1_000);
    this.sweepTimer.unref();
    if (this.hasTimedPolicies()) {
      this.tickTimer = setInterval(() => this.tick(), MANAGEMENT_TICK_MS);
      this.tickTimer.unref();
    }
    return { host: this.options.host, port: this.boundPort };
  }

  /** Stops accepting, tells every connection the broker is closing, and waits until all are gone. */
  async stop(): Promise<void> {
    this.isStopping = true;
    clearInterval(this.sweepTimer);
    clearInterval(this.tickTimer);
    this.membership.stop();
    const serverClosed = new Promise<void>((resolve) => this.server.close(() => resolve()));
    for (const session of this.sessions) session.connection.close(ERROR_CODE.CONNECTION_CLOSE, `broker ${this.id} is shutting down`);
    await serverClosed;
  }

  private accept(socket: Socket): void {
    if (this.sessions.size >= this.options.maxConnections) {
      this.refuse(socket);
      return;
    }
    this.stats.connectionsAccepted++;
    this.sessions.add(new Session(socket, this));
  }

  /**
   * Turns a connection away at the limit without waiting for its SETUP: the ERROR frame on
   * stream 0 tells a client why (Protocol.md, REJECTED_SETUP: "the server rejected the setup").
   */
  private refuse(socket: Socket): void {
    this.stats.connectionsRefused++;
    socket.on('error', () => {});
    const message = `broker ${this.id} is at its limit of ${this.options.maxConnections} connections: try another broker or later`;
    socket.end(encodeFrame({ type: FRAME_TYPE.ERROR, streamId: 0, flags: 0, code: ERROR_CODE.REJECTED_SETUP, message }));
    setTimeout(() => socket.destroy(), 2_000).unref();
  }

  nextSessionId(): number {
    return ++this.sessionCounter;
  }

  /** Queues a frame for `destination` and pauses `source` if the destination cannot keep up. */
  relay(source: Session, destination: Session, buf: Buffer, start: number, end: number, streamId: number): void {
    const connection = destination.connection;
    connection.forward(buf, start, end, streamId);
    this.stats.bytesForwarded += end - start;
    if (connection.isCongested) destination.blockSource(source);
  }

  /** Listening, and not shutting down. */
  get isReady(): boolean {
    return this.boundPort !== 0 && !this.isStopping;
  }

  /** Drops a finished stream from both sessions. */
  unlink(link: StreamLink): void {
    link.requester.requested.delete(link.requesterId);
    link.responder.served.delete(link.responderId);
    this.finish(link, link.outcome);
  }

  /** Counts a request that has ended against its instance (in flight, circuit breaker), its method and its service's latency. */
  private finish(link: StreamLink, outcome: Outcome): void {
    const instance = link.instance;
    instance.inFlight--;
    link.method.outcomes[outcome]!++;
    const breaker = instance.breaker;
    if (breaker !== null) {
      if (outcome === OUTCOME.OK) breaker.onSuccess(link.isProbe);
      else if (outcome === OUTCOME.CANCELLED) breaker.onAbandon(link.isProbe);
      else breaker.onFailure(link.isProbe, this.now);
    }
    if (outcome === OUTCOME.OK && link.type === FRAME_TYPE.REQUEST_RESPONSE) instance.service.latency.record((this.now - link.startedAt) * 1000);
  }

  onSessionReady(session: Session): void {
    this.registry.register(session, session.services);
    this.membership.announceTo(session);
    this.onEvent({ kind: 'session-ready', session });
  }

  /** Ends what the closed connection left open: its requests are cancelled, requests it was serving fail. */
  onSessionClosed(session: Session, wasReady: boolean, error: Error | undefined): void {
    this.sessions.delete(session);
    if (!wasReady) return;
    this.registry.unregister(session);
    for (const link of session.requested.values()) {
      // A request to its own service ends here too, once.
      this.finish(link, link.isResponderDone ? link.outcome : OUTCOME.CANCELLED);
      if (link.responder === session) continue;
      link.responder.served.delete(link.responderId);
      if (!link.isResponderDone) link.responder.connection.sendCancel(link.responderId);
    }
    for (const link of session.served.values()) {
      if (link.requester === session) continue;
      this.finish(link, link.isResponderDone ? link.outcome : OUTCOME.DISCONNECTED);
      link.requester.requested.delete(link.requesterId);
      link.requester.connection.sendError(
        link.requesterId,
        ERROR_CODE.APPLICATION_ERROR,
        `the instance of ${link.serviceKey} serving this request (${session.app.name} at ${session.remoteAddress}) disconnected before it finished; the request may or may not have been processed`,
      );
    }
    session.requested.clear();
    session.served.clear();
    this.onEvent({ kind: 'session-closed', session, ...(error ? { error } : {}) });
  }

  log(event: BrokerEvent): void {
    this.onEvent(event);
  }

  /** Once a second: advance the clock, close connections that never sent SETUP or went silent past their lifetime. */
  private sweep(): void {
    const now = Date.now();
    this.clock = Math.floor((now - this.startedAt) / 1000);
    for (const session of this.sessions) {
      if (session.isAwaitingSetup) {
        if (now - session.connectedAt > this.options.setupTimeoutMs) {
          session.fail(ERROR_CODE.INVALID_SETUP, `no SETUP within ${this.options.setupTimeoutMs} ms of connecting`);
        }
      } else if (session.isReady && (this.clock - session.lastActivity) * 1000 > session.lifetimeMs + 1000) {
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
    this.now = performance.now();
    for (const entry of this.registry.entries) {
      for (const instance of entry.instances) instance.breaker?.tick(this.now);
    }
    for (const session of this.sessions) {
      if (session.instances.length === 0) continue;
      for (const link of session.served.values()) {
        if (link.type !== FRAME_TYPE.REQUEST_RESPONSE || link.isResponderDone) continue;
        const timeoutMs = link.instance.service.policy.requestTimeoutMs;
        if (timeoutMs > 0 && this.now - link.startedAt >= timeoutMs) this.expire(link, timeoutMs);
      }
    }
  }

  /** A request-response call unanswered past its timeout: the requester gets an error, the instance a CANCEL, the breaker a failure. */
  private expire(link: StreamLink, timeoutMs: number): void {
    link.requester.requested.delete(link.requesterId);
    link.responder.served.delete(link.responderId);
    this.finish(link, OUTCOME.TIMEOUT);
    link.responder.connection.sendCancel(link.responderId);
    link.requester.connection.sendError(
      link.requesterId,
      ERROR_CODE.APPLICATION_ERROR,
      `no answer from the instance of ${link.serviceKey} (${link.responder.app.name} at ${link.responder.remoteAddress}) within the request timeout of ${timeoutMs} ms; it was cancelled there`,
    );
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
      host: this.options.host,
      port: this.boundPort,
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
        connectedAt: new Date(session.connectedAt).toISOString(),
        services: session.instances.map((instance) => instance.service.key),
        requesting: session.requested.size,
        serving: session.served.size,
      }));
  }

  private buildLocalRoutes(): Map<string, LocalRoute> {
    return new Map<string, LocalRoute>([
      [BROKER_ROUTES.SERVICES, (broker) => ({ broker: broker.id, services: broker.registry.list() })],
      [BROKER_ROUTES.HEALTH, (broker) => ({ status: broker.isReady ? 'up' : 'stopping', ...broker.snapshot() })],
      [BROKER_ROUTES.CLUSTER, (broker) => broker.membership.describe()],
    ]);
  }
}

export interface BrokerSnapshot extends BrokerStats {
  id: string;
  host: string;
  port: number;
  uptimeMs: number;
  connections: number;
  services: number;
  instances: number;
  /** Instances whose circuit is open, and half-open. */
  openCircuits: number;
  halfOpenCircuits: number;
  /** REJECTED answers by reason. */
  rejections: Record<RejectionName, number>;
}

export interface ConnectionSummary {
  id: number;
  app: string;
  uuid: string;
  /** The token's subject, when the broker authenticates. */
  subject?: string;
  address: string;
  connectedAt: string;
  /** Service keys it publishes. */
  services: string[];
  /** Its requests in flight, and requests it is serving. */
  requesting: number;
  serving: number;
}
