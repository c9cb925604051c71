import { OUTCOME, type AppInfo, type Outcome } from '../protocol/index.js';
import type { FramedConnection } from '../transport/framed-connection.js';
import type { StreamMap } from '../transport/stream-map.js';
import type { PausedSources } from './backpressure.js';
import type { CircuitBreaker } from './circuit-breaker.js';
import type { LatencyHistogram, MethodStats } from './traffic-stats.js';

/** What the forwarding parts send on a connection. */
export type StreamConnection = Pick<
  FramedConnection,
  'forwardFrame' | 'isCongested' | 'sendError' | 'sendCancel' | 'sendPayload' | 'pauseReading' | 'resumeReading'
>;

/**
 * One connection as its streams see it: the streams it has open in either role, where
 * their frames go, and the connections it has paused. A session is one; the stream table
 * and the router need no more of it.
 */
export interface StreamEnd {
  readonly app: AppInfo;
  readonly remoteAddress: string;
  /** Streams this connection opened as requester, by its (odd) stream id. */
  readonly requested: StreamMap<StreamLink>;
  /** Streams the broker opened on this connection as responder, by the broker's (even) id. */
  readonly served: StreamMap<StreamLink>;
  readonly connection: StreamConnection;
  /** Connections paused because this one's send queue was full. */
  readonly pausedSources: PausedSources;
  /** Broker-chosen id for a new stream on this connection (even, wrapping, skipping ids in use). */
  allocateStreamId(): number;
}

/** What ending a stream updates on the instance that served it (a ServiceInstance). */
export interface LinkedInstance {
  inFlight: number;
  readonly breaker: CircuitBreaker | null;
  readonly service: { readonly key: string; readonly latency: LatencyHistogram; readonly policy: { readonly requestTimeoutMs: number } };
}

/**
 * One request forwarded through the broker: the requester's stream and the stream the
 * broker opened on the chosen instance, with which side has finished sending. The stream
 * table (stream-table.ts) owns every link: it opens it, marks each side done, and ends it.
 */
export class StreamLink {
  /** The requester will send nothing more but CANCEL or REQUEST_N. */
  isRequesterDone: boolean;
  /** The responder will send nothing more. */
  isResponderDone = false;
  /** How the request ended, as far as the frames seen so far tell. */
  outcome: Outcome = OUTCOME.OK;

  constructor(
    readonly requester: StreamEnd,
    readonly requesterId: number,
    readonly responder: StreamEnd,
    readonly responderId: number,
    /** FRAME_TYPE of the request that opened the stream. */
    readonly type: number,
    readonly instance: LinkedInstance,
    readonly method: MethodStats,
    /** BrokerClock.now when the request arrived. */
    readonly startedAt: number,
    /** Sent while the instance's circuit was half-open: its outcome decides the circuit. */
    readonly isProbe: boolean,
    isRequesterDone: boolean,
  ) {
    this.isRequesterDone = isRequesterDone;
  }

  get serviceKey(): string {
    return this.instance.service.key;
  }
}
