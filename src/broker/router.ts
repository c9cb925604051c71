import {
  ERROR_CODE,
  FLAG,
  FRAME_TYPE,
  METADATA_FORMAT,
  parseRoute,
  ProtocolError,
  readWireFlags,
  readWireRoute,
} from '../protocol/index.js';
import type { Broker } from './broker.js';
import type { ServiceInstances } from './registry.js';
import type { Session } from './session.js';
import { StreamLink } from './stream-link.js';
import { OUTCOME, REJECTION, type MethodStats, type Rejection } from './traffic-stats.js';

/** A route the broker answers itself, with a JSON document. */
export type LocalRoute = (broker: Broker) => unknown;

/** What a route string resolves to, cached per string. */
type RouteTarget =
  | { kind: 'service'; instances: ServiceInstances; method: MethodStats }
  | { kind: 'local'; answer: LocalRoute }
  | { kind: 'invalid'; message: string };

/** Bounds the cache against clients that send endless distinct routes. */
const MAX_CACHED_ROUTES = 10_000;

/**
 * Picks the destination of each request from the route in its metadata bytes, opens the
 * stream on the chosen instance and forwards the very bytes received, with the new stream
 * id written in place. On the way it applies what the broker manages: the caller's grant
 * (authentication), the balancer's choice among available instances (circuit closed,
 * under the in-flight cap), and the service's and the app's rate limits. What cannot be
 * routed is answered at once with REJECTED, naming why.
 */
export class Router {
  private readonly cache = new Map<string, RouteTarget>();

  constructor(
    private readonly broker: Broker,
    private readonly localRoutes: ReadonlyMap<string, LocalRoute>,
  ) {}

  /** Throws ProtocolError when the metadata is malformed; the session ends the connection. */
  route(requester: Session, buf: Buffer, start: number, end: number, type: number, streamId: number): void {
    const route = readWireRoute(buf, start, end, METADATA_FORMAT.COMPOSITE);
    if (route === null) this.rejectUnrouted(requester, type, streamId);
    else this.routeTo(requester, route, buf, start, end, type, streamId);
  }

  rejectUnrouted(requester: Session, type: number, streamId: number): void {
    this.reject(
      requester,
      type,
      streamId,
      REJECTION.NO_ROUTE,
      'the request has no route: put a message/x.rsocket.routing.v0 entry with service.method in its composite metadata',
    );
  }

  /** Forwards a request whose route is known to an instance of its service, or answers why it cannot. */
  routeTo(requester: Session, route: string, buf: Buffer, start: number, end: number, type: number, streamId: number): void {
    const target = this.cache.get(route) ?? this.resolve(route);
    if (target.kind !== 'service') {
      if (target.kind === 'local') this.answerLocally(requester, type, streamId, target.answer);
      else this.reject(requester, type, streamId, REJECTION.INVALID_ROUTE, target.message);
      return;
    }
    const broker = this.broker;
    const service = target.instances;
    const method = target.method;
    if (requester.grant !== null && !requester.grant.mayCall(route)) {
      this.refuse(requester, type, streamId, method, REJECTION.NOT_ALLOWED, requester.grant.refuseCall(route));
      return;
    }
    const instance = service.pick();
    if (instance === undefined) {
      const { reason, message } = service.explainNoInstance(broker.id, broker.now);
      this.refuse(requester, type, streamId, method, reason, message);
      return;
    }
    // Both buckets are checked only once an instance can take the request, so a refusal costs no tokens.
    const now = broker.now;
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
    const responder = instance.session;
    const flags = readWireFlags(buf, start);
    const responderId = responder.allocateStreamId();
    const isFragmented = (flags & FLAG.FOLLOWS) !== 0;
    instance.forwarded++;
    // A fire-and-forget needs no link, unless fragments of it are still to come; delivered, it has gone well.
    if (type !== FRAME_TYPE.REQUEST_FNF || isFragmented) {
      const isRequesterDone =
        type === FRAME_TYPE.REQUEST_CHANNEL ? (flags & FLAG.COMPLETE) !== 0 && !isFragmented : type !== FRAME_TYPE.REQUEST_FNF;
      const isProbe = instance.breaker !== null && instance.breaker.admit();
      const link = new StreamLink(requester, streamId, responder, responderId, type, instance, method, now, isProbe, isRequesterDone);
      instance.inFlight++;
      requester.requested.set(streamId, link);
      responder.served.set(responderId, link);
    } else {
      method.outcomes[OUTCOME.OK]!++;
    }
    broker.stats.requestsRouted++;
    broker.relay(requester, responder, buf, start, end, responderId);
  }

  private resolve(route: string): RouteTarget {
    let target: RouteTarget;
    const local = this.localRoutes.get(route);
    if (local) {
      target = { kind: 'local', answer: local };
    } else {
      try {
        const parsed = parseRoute(route);
        const instances = this.broker.registry.entry(parsed.serviceKey, parsed);
        target = { kind: 'service', instances, method: instances.methodStats(parsed.method) };
      } catch (error) {
        if (!(error instanceof ProtocolError)) throw error;
        target = { kind: 'invalid', message: error.message };
      }
    }
    if (this.cache.size >= MAX_CACHED_ROUTES) this.cache.clear();
    this.cache.set(route, target);
    return target;
  }

  /** REJECTED for a request to a known service, counted against its method too. */
  private refuse(requester: Session, type: number, streamId: number, method: MethodStats, reason: Rejection, message: string): void {
    method.outcomes[OUTCOME.REJECTED]!++;
    this.reject(requester, type, streamId, reason, message);
  }

  private reject(requester: Session, type: number, streamId: number, reason: Rejection, message: string): void {
    this.broker.stats.requestsRejected++;
    this.broker.rejections[reason]!++;
    // A fire-and-forget has no stream to answer on: it is counted and dropped.
    if (type !== FRAME_TYPE.REQUEST_FNF) requester.connection.sendError(streamId, ERROR_CODE.REJECTED, message);
  }

  private answerLocally(requester: Session, type: number, streamId: number, answer: LocalRoute): void {
    if (type === FRAME_TYPE.REQUEST_FNF) return;
    if (type === FRAME_TYPE.REQUEST_CHANNEL) {
      this.reject(requester, type, streamId, REJECTION.UNSUPPORTED, 'broker routes answer request-response and request-stream only');
      return;
    }
    this.broker.stats.requestsAnswered++;
    requester.connection.sendPayload(streamId, FLAG.NEXT | FLAG.COMPLETE, null, Buffer.from(JSON.stringify(answer(this.broker))));
  }
}
