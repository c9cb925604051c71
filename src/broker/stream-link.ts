import type { Session } from './session.js';

/**
 * One request forwarded through the broker: the requester's stream and the stream the
 * broker opened on the chosen responder, with which side has finished sending. The link
 * is dropped from both sessions' maps exactly when both sides are done.
 */
export class StreamLink {
  /** The requester will send nothing more but CANCEL or REQUEST_N. */
  isRequesterDone: boolean;
  /** The responder will send nothing more. */
  isResponderDone = false;

  constructor(
    readonly requester: Session,
    readonly requesterId: number,
    readonly responder: Session,
    readonly responderId: number,
    /** FRAME_TYPE of the request that opened the stream. */
    readonly type: number,
    /** The registry key of the service the request went to. */
    readonly serviceKey: string,
    isRequesterDone: boolean,
  ) {
    this.isRequesterDone = isRequesterDone;
  }
}
