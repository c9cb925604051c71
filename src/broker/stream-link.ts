import type { ServiceInstance } from './service-instance.js';
import type { Session } from './session.js';
import { OUTCOME, type MethodStats, type Outcome } from './traffic-stats.js';

/**
 * One request forwarded through the broker: the requester's stream and the stream the
 * broker opened on the chosen instance, with which side has finished sending. The link
 * is dropped from both sessions' maps exactly when both sides are done, and then counted
 * by its outcome against its instance (in flight, circuit breaker) and its method.
 */
export class StreamLink {
  /** The requester will send nothing more but CANCEL or REQUEST_N. */
  isRequesterDone: boolean;
  /** The responder will send nothing more. */
  isResponderDone = false;
  /** How the request ended, as far as the frames seen so far tell. */
  outcome: Outcome = OUTCOME.OK;

  constructor(
    readonly requester: Session,
    readonly requesterId: number,
    readonly responder: Session,
    readonly responderId: number,
    /** FRAME_TYPE of the request that opened the stream. */
    readonly type: number,
    readonly instance: ServiceInstance,
    readonly method: MethodStats,
    /** Broker.now when the request arrived. */
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
