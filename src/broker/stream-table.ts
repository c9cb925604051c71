import { ERROR_CODE, FLAG, FRAME_TYPE, OUTCOME, type FrameHeader, type Outcome } from '../protocol/index.js';
import type { BrokerClock } from './clock.js';
import type { ServiceInstance } from './service-instance.js';
import { StreamLink, type StreamEnd } from './stream-link.js';
import type { BrokerStats, MethodStats } from './traffic-stats.js';

/**
 * The one owner of every forwarded stream's life. It opens a stream when the router has
 * chosen an instance, forwards each later frame to the other side and notes which side has
 * finished, and ends the stream exactly once — both sides done, the request timeout passed,
 * or either connection gone — counting the ending against the instance (in flight, circuit
 * breaker), the method (outcome) and the service (latency).
 *
 * The links live in the two connections' maps (StreamEnd.requested and .served), so that
 * a frame finds its stream with one lookup on its own connection; only this table writes them.
 * Frames are forwarded as the very bytes received, their stream id rewritten; a destination
 * that cannot keep up pauses the source (PausedSources) until it drains.
 */
export class StreamTable {
  constructor(
    private readonly clock: BrokerClock,
    private readonly stats: Pick<BrokerStats, 'framesForwarded' | 'bytesForwarded'>,
  ) {}

  /**
   * Forwards a request (the frame in `header`) to `instance` on a new stream, and keeps the
   * link unless the request is a whole fire-and-forget, which has nothing to follow it.
   */
  open(requester: StreamEnd, header: FrameHeader, instance: ServiceInstance, method: MethodStats): void {
    const { type, flags, streamId } = header;
    const responder = instance.session;
    const responderId = responder.allocateStreamId();
    const isFragmented = (flags & FLAG.FOLLOWS) !== 0;
    instance.forwarded++;
    // A fire-and-forget needs no link, unless fragments of it are still to come; delivered, it has gone well.
    if (type !== FRAME_TYPE.REQUEST_FNF || isFragmented) {
      const isRequesterDone =
        type === FRAME_TYPE.REQUEST_CHANNEL ? (flags & FLAG.COMPLETE) !== 0 && !isFragmented : type !== FRAME_TYPE.REQUEST_FNF;
      const isProbe = instance.breaker !== null && instance.breaker.admit();
      const link = new StreamLink(requester, streamId, responder, responderId, type, instance, method, this.clock.now, isProbe, isRequesterDone);
      instance.inFlight++;
      requester.requested.set(streamId, link);
      responder.served.set(responderId, link);
    } else {
      method.outcomes[OUTCOME.OK]!++;
    }
    this.relay(requester, responder, header, responderId);
  }

  /**
   * PAYLOAD, REQUEST_N, CANCEL, ERROR and EXT on an open stream of `from`: forwarded to the
   * other side, and the stream ended once both sides are done. False when `from` has no such stream.
   */
  forward(from: StreamEnd, header: FrameHeader): boolean {
    const { type, streamId } = header;
    // Parity tells the role: odd ids are the connection's own requests, even ids the broker's.
    const isFromRequester = (streamId & 1) === 1;
    const link = isFromRequester ? from.requested.get(streamId) : from.served.get(streamId);
    if (link === undefined) return false;
    // N must be > 0 (Protocol.md, "REQUEST_N Frame"); the spec defines no error for it, so it is dropped.
    if (type === FRAME_TYPE.REQUEST_N && header.readRequestN() === 0) return true;
    this.stats.framesForwarded++;
    if (isFromRequester) {
      this.relay(from, link.responder, header, link.responderId);
      noteRequesterFrame(link, type, header.flags);
    } else {
      this.relay(from, link.requester, header, link.requesterId);
      noteResponderFrame(link, type, header.flags);
    }
    if (link.isRequesterDone && link.isResponderDone) this.end(link, link.outcome);
    return true;
  }

  /** Request-response calls `responders` serve that are unanswered past their service's timeout end now. */
  expireOverdue(responders: Iterable<StreamEnd>): void {
    const now = this.clock.now;
    for (const responder of responders) {
      if (responder.served.size === 0) continue;
      for (const link of responder.served.toArray()) {
        if (link.type !== FRAME_TYPE.REQUEST_RESPONSE || link.isResponderDone) continue;
        const timeoutMs = link.instance.service.policy.requestTimeoutMs;
        if (timeoutMs > 0 && now - link.startedAt >= timeoutMs) this.expire(link, timeoutMs);
      }
    }
  }

  /** Ends what a closed connection left open: its requests are cancelled at their instances, requests it was serving fail. */
  closeEnd(closed: StreamEnd): void {
    for (const link of closed.requested.toArray()) {
      // A request to its own service ends here too, once: `end` drops it from `served` as well.
      this.end(link, link.isResponderDone ? link.outcome : OUTCOME.CANCELED);
      if (link.responder !== closed && !link.isResponderDone) link.responder.connection.sendCancel(link.responderId);
    }
    for (const link of closed.served.toArray()) {
      this.end(link, link.isResponderDone ? link.outcome : OUTCOME.CONNECTION_LOST);
      link.requester.connection.sendError(
        link.requesterId,
        ERROR_CODE.APPLICATION_ERROR,
        `the instance of ${link.serviceKey} serving this request (${closed.app.name} at ${closed.remoteAddress}) disconnected before it finished; the request may or may not have been processed`,
      );
    }
  }

  /** A request-response call unanswered past its timeout: the requester gets an error, the instance a CANCEL, the breaker a failure. */
  private expire(link: StreamLink, timeoutMs: number): void {
    this.end(link, OUTCOME.TIMEOUT);
    link.responder.connection.sendCancel(link.responderId);
    link.requester.connection.sendError(
      link.requesterId,
      ERROR_CODE.APPLICATION_ERROR,
      `no answer from the instance of ${link.serviceKey} (${link.responder.app.name} at ${link.responder.remoteAddress}) within the request timeout of ${timeoutMs} ms; it was cancelled there`,
    );
  }

  /**
   * The one teardown: drops the stream from both connections and counts how it ended
   * against its instance (in flight, circuit breaker), its method and its service's latency.
   */
  private end(link: StreamLink, outcome: Outcome): void {
    link.requester.requested.delete(link.requesterId);
    link.responder.served.delete(link.responderId);
    const instance = link.instance;
    instance.inFlight--;
    link.method.outcomes[outcome]!++;
    const now = this.clock.now;
    const breaker = instance.breaker;
    if (breaker !== null) {
      if (outcome === OUTCOME.OK) breaker.onSuccess(link.isProbe);
      else if (outcome === OUTCOME.CANCELED) breaker.onAbandon(link.isProbe);
      else breaker.onFailure(link.isProbe, now);
    }
    if (outcome === OUTCOME.OK && link.type === FRAME_TYPE.REQUEST_RESPONSE) instance.service.latency.record((now - link.startedAt) * 1000);
  }

  /** Queues the frame for `destination` under its id there, and pauses `source` if the destination cannot keep up. */
  private relay(source: StreamEnd, destination: StreamEnd, header: FrameHeader, streamId: number): void {
    const connection = destination.connection;
    connection.forwardFrame(header.buf, header.start, header.end, streamId);
    this.stats.bytesForwarded += header.end - header.start;
    if (connection.isCongested) destination.pausedSources.pause(source.connection);
  }
}

/** What a requester's frame says of its side: done after its last PAYLOAD; CANCEL or ERROR ends both sides. */
function noteRequesterFrame(link: StreamLink, type: number, flags: number): void {
  switch (type) {
    case FRAME_TYPE.PAYLOAD:
      if ((flags & FLAG.FOLLOWS) === 0 && (link.type === FRAME_TYPE.REQUEST_FNF || (flags & FLAG.COMPLETE) !== 0)) {
        link.isRequesterDone = true;
        if (link.type === FRAME_TYPE.REQUEST_FNF) link.isResponderDone = true;
      }
      return;
    case FRAME_TYPE.CANCEL:
    case FRAME_TYPE.ERROR:
      if (!link.isResponderDone) link.outcome = OUTCOME.CANCELED;
      link.isRequesterDone = link.isResponderDone = true;
  }
}

/** What a responder's frame says: done after its last PAYLOAD (a response's only one); ERROR ends both sides. */
function noteResponderFrame(link: StreamLink, type: number, flags: number): void {
  switch (type) {
    case FRAME_TYPE.PAYLOAD:
      if ((flags & FLAG.FOLLOWS) === 0 && (link.type === FRAME_TYPE.REQUEST_RESPONSE || (flags & FLAG.COMPLETE) !== 0)) {
        link.isResponderDone = true;
      }
      return;
    case FRAME_TYPE.CANCEL:
      // A channel's responder no longer wants the requester's items.
      link.isRequesterDone = true;
      return;
    case FRAME_TYPE.ERROR:
      link.outcome = OUTCOME.ERROR;
      link.isRequesterDone = link.isResponderDone = true;
  }
}
