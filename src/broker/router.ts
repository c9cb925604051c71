import { decodeRouteSpan, ERROR_CODE, FLAG, FRAME_TYPE, METADATA_FORMAT, OUTCOME, parseRoute, ProtocolError, type FrameHeader, type ServiceId } from '../protocol/index.js';
import type { Grant } from './auth.js';
import type { BrokerClock } from './clock.js';
import type { TokenBucket } from './rate-limiter.js';
import type { ServiceInstances } from './registry.js';
import { RouteBytesCache } from './route-bytes-cache.js';
import type { StreamEnd } from './stream-link.js';
import type { StreamTable } from './stream-table.js';
import { REJECTION, type BrokerStats, type MethodStats, type Rejection } from './traffic-stats.js';

/** A route the broker answers itself, with a JSON document. */
export type LocalRoute = () => unknown;

/** A requester as the router sees it: its streams, what its token allows, and its app's rate limit. */
export interface Requester extends StreamEnd {
  /** null when the broker does not authenticate. */
  readonly grant: Pick<Grant, 'mayCall' | 'refuseCall'> | null;
  /** null when no rate limit applies to its app. */
  readonly appLimit: TokenBucket | null;
}

/** What the router works with. */
export interface RouterPorts {
  readonly brokerId: string;
  readonly clock: BrokerClock;
  /** The registry's entry for a service key, created empty if needed (ServiceRegistry.entry). */
  findService(key: string, id: ServiceId): ServiceInstances;
  /** Opens the stream to the chosen instance and forwards the request. */
  readonly streams: Pick<StreamTable, 'open'>;
  readonly stats: Pick<BrokerStats, 'requestsRouted' | 'requestsRejected' | 'requestsAnswered'>;
  /** REJECTED answers by reason (REJECTION). */
  readonly rejections: Float64Array;
  readonly localRoutes: ReadonlyMap<string, LocalRoute>;
}

/** What a route resolves to, cached per route (its text, and its bytes). */
type RouteTarget = { route: string } & (
  | { kind: 'service'; instances: ServiceInstances; method: MethodStats }
  | { kind: 'local'; answer: LocalRoute }
  | { kind: 'invalid'; message: string }
);

/** Bounds the cache against clients that send endless distinct routes. */
const MAX_CACHED_ROUTES = 10_000;

/**
 * Picks the destination of each request from the route in its metadata bytes and hands it
 * to the stream table, which opens the stream on the chosen instance and forwards the very
 * bytes received, with the new stream id written in place. On the way it applies what the broker manages: the caller's grant
 * (authentication), the balancer's choice among available instances (circuit closed,
 * under the in-flight cap), and the service's and the app's rate limits. What cannot be
 * routed is answered at once with REJECTED, naming why.
 */
export class Router {
  private readonly cache = new Map<string, RouteTarget>();
  private readonly cacheByBytes = new RouteBytesCache<RouteTarget>();

  constructor(private readonly ports: RouterPorts) {}

  /** Routes the request in `header` by the route in its metadata. Throws ProtocolError when the metadata is malformed; the session ends the connection. */
  route(requester: Requester, header: FrameHeader): void {
    if (!header.locateRoute(METADATA_FORMAT.COMPOSITE)) {
      this.rejectUnrouted(requester, header.type, header.streamId);
      return;
    }
    const { buf, route } = header;
    let target = this.cacheByBytes.get(buf, route.start, route.end);
    if (target === undefined) {
      target = this.targetOf(decodeRouteSpan(buf, route));
      this.cacheByBytes.set(buf, route.start, route.end, target);
    }
    this.forward(requester, target, header);
  }

  rejectUnrouted(requester: Requester, type: number, streamId: number): void {
    this.reject(
      requester,
      type,
      streamId,
      REJECTION.NO_ROUTE,
      'the request has no route: put a message/x.rsocket.routing.v0 entry with service.method in its composite metadata',
    );
  }

  /** Routes a request (the frame in `header`) whose route has been read already: a fragmented request, reassembled far enough. */
  routeTo(requester: Requester, route: string, header: FrameHeader): void {
    this.forward(requester, this.targetOf(route), header);
  }

  private targetOf(route: string): RouteTarget {
    return this.cache.get(route) ?? this.resolve(route);
  }

  /** Forwards a request to an instance of its route's service, or answers why it cannot. */
  private forward(requester: Requester, target: RouteTarget, header: FrameHeader): void {
    const { type, streamId } = header;
    const route = target.route;
    if (target.kind !== 'service') {
      if (target.kind === 'local') this.answerLocally(requester, type, streamId, target.answer);
      else this.reject(requester, type, streamId, REJECTION.INVALID_ROUTE, target.message);
      return;
    }
    const ports = this.ports;
    const service = target.instances;
    const method = target.method;
    if (requester.grant !== null && !requester.grant.mayCall(route)) {
      this.refuse(requester, type, streamId, method, REJECTION.NOT_ALLOWED, requester.grant.refuseCall(route));
      return;
    }
    const instance = service.pick();
    if (instance === undefined) {
      const { reason, message } = service.explainNoInstance(ports.brokerId, ports.clock.now);
      this.refuse(requester, type, streamId, method, reason, message);
      return;
    }
    // Both buckets are checked only once an instance can take the request, so a refusal costs no tokens.
    const now = ports.clock.now;
    if (service.limit !== null && !service.limit.tryTake(now)) {
      this.refuse(requester, type, streamId, method, REJECTION.SERVICE_RATE_LIMIT, service.limit.refusal);
      return;
    }
    const appLimit = requester.appLimit;
    if (appLimit !== null && !appLimit.tryTake(now)) {
      service.limit?.giveBack();
      this.refuse(requester, type, streamId, method, REJECTION.APP_RATE_LIMIT, appLimit.refusal);
      return;
    }
    ports.stats.requestsRouted++;
    ports.streams.open(requester, header, instance, method);
  }

  private resolve(route: string): RouteTarget {
    let target: RouteTarget;
    const local = this.ports.localRoutes.get(route);
    if (local) {
      target = { route, kind: 'local', answer: local };
    } else {
      try {
        const parsed = parseRoute(route);
        const instances = this.ports.findService(parsed.serviceKey, parsed);
        target = { route, kind: 'service', instances, method: instances.methodStats(parsed.method) };
      } catch (error) {
        if (!(error instanceof ProtocolError)) throw error;
        target = { route, kind: 'invalid', message: error.message };
      }
    }
    if (this.cache.size >= MAX_CACHED_ROUTES) this.cache.clear();
    this.cache.set(route, target);
    return target;
  }

  /** REJECTED for a request to a known service, counted against its method too. */
  private refuse(requester: Requester, type: number, streamId: number, method: MethodStats, reason: Rejection, message: string): void {
    method.outcomes[OUTCOME.REJECTED]!++;
    this.reject(requester, type, streamId, reason, message);
  }

  private reject(requester: Requester, type: number, streamId: number, reason: Rejection, message: string): void {
    this.ports.stats.requestsRejected++;
    this.ports.rejections[reason]!++;
    // A fire-and-forget has no stream to answer on: it is counted and dropped.
    if (type !== FRAME_TYPE.REQUEST_FNF) requester.connection.sendError(streamId, ERROR_CODE.REJECTED, message);
  }

  private answerLocally(requester: Requester, type: number, streamId: number, answer: LocalRoute): void {
    if (type === FRAME_TYPE.REQUEST_FNF) return;
    if (type === FRAME_TYPE.REQUEST_CHANNEL) {
      this.reject(requester, type, streamId, REJECTION.UNSUPPORTED, 'broker routes answer request-response and request-stream only');
      return;
    }
    this.ports.stats.requestsAnswered++;
    requester.connection.sendPayload(streamId, FLAG.NEXT | FLAG.COMPLETE, null, Buffer.from(JSON.stringify(answer())));
  }
}
