import {
  encodeCompositeMetadata,
  encodeFrameBody,
  encodeRoutingTags,
  ERROR_CODE,
  FLAG,
  FRAME_TYPE,
  MAX_REQUEST_N,
  MIME,
  readWireErrorCode,
  WIRE_OFFSET,

  type CompositeEntryInput,
} from '../protocol/index.js';
import type { PeerConnection, StreamFrameHandler } from './peer-connection.js';
import { StreamIdAllocator } from './stream-ids.js';
import { StreamMap } from './stream-map.js';

export const INTERACTION = {
  REQUEST_RESPONSE: 'request-response',
  FIRE_AND_FORGET: 'fire-and-forget',
  REQUEST_STREAM: 'request-stream',
  REQUEST_CHANNEL: 'request-channel',
} as const;
export type Interaction = (typeof INTERACTION)[keyof typeof INTERACTION];

export interface RequestSpec {
  route: string;
  data: Buffer;
  mode?: Interaction;
  /** Request-stream and request-channel: how many items to ask for up front. */
  initialN?: number;
  /** Composite entries to send beside the routing entry. */
  extraMetadata?: CompositeEntryInput[];
}

/** A request encoded once (without a length prefix: the connection adds its envelope) and sent many times: only the stream id changes. */
export interface RequestTemplate {
  readonly bytes: Buffer;
  readonly mode: Interaction;
}

const TYPE_BY_MODE = {
  [INTERACTION.REQUEST_RESPONSE]: FRAME_TYPE.REQUEST_RESPONSE,
  [INTERACTION.FIRE_AND_FORGET]: FRAME_TYPE.REQUEST_FNF,
  [INTERACTION.REQUEST_STREAM]: FRAME_TYPE.REQUEST_STREAM,
  [INTERACTION.REQUEST_CHANNEL]: FRAME_TYPE.REQUEST_CHANNEL,
} as const;

export function prepareRequest(spec: RequestSpec): RequestTemplate {
  const mode = spec.mode ?? INTERACTION.REQUEST_RESPONSE;
  const metadata = encodeCompositeMetadata([{ mimeType: MIME.ROUTING, content: encodeRoutingTags([spec.route]) }, ...(spec.extraMetadata ?? [])]);
  const type = TYPE_BY_MODE[mode];
  const base = { streamId: 1, flags: 0, metadata, data: spec.data };
  const bytes =
    type === FRAME_TYPE.REQUEST_STREAM || type === FRAME_TYPE.REQUEST_CHANNEL
      ? // A lean channel sends its one payload and completes its side at once.
        encodeFrameBody({ ...base, type, requestN: spec.initialN ?? MAX_REQUEST_N, flags: type === FRAME_TYPE.REQUEST_CHANNEL ? FLAG.COMPLETE : 0 })
      : encodeFrameBody({ ...base, type });
  return { bytes, mode };
}

/** How a request ended, reported to the requester's observer with the caller's context. */
export interface RequestObserver<T> {
  /** A PAYLOAD with data (streams call this once per item). */
  onNext?(context: T, buf: Buffer, start: number, end: number): void;
  onComplete(context: T): void;
  /** An ERROR frame, or the connection's loss (code CONNECTION_ERROR). */
  onError(context: T, code: number, message: string): void;
}

/**
 * The project's own pipelined requester over `src/protocol`: no promise or closure per
 * request, frames copied from a prepared template, all sends of a turn in one write.
 * Built for the load engine and benchmarks, where the requester must never be the limit.
 */
export class LeanRequester<T> implements StreamFrameHandler {
  /** Open request-response streams: one answer ends them. */
  private readonly singles = new StreamMap<T>();
  /** Open request-stream and request-channel streams: end on COMPLETE or ERROR. */
  private readonly streams = new StreamMap<T>();
  private readonly ids: StreamIdAllocator;
  private lostError: Error | undefined;

  constructor(
    readonly peer: PeerConnection,
    private readonly observer: RequestObserver<T>,
    options: { firstStreamIdAfter?: number } = {},
  ) {
    this.ids = new StreamIdAllocator(1, (id) => this.singles.has(id) || this.streams.has(id), options.firstStreamIdAfter);
    peer.setHandler(this);
  }

  get inFlight(): number {
    return this.singles.size + this.streams.size;
  }

  get isConnected(): boolean {
    return this.lostError === undefined && this.peer.connection.isOpen;
  }

  /** Sends one request; returns its stream id. Fire-and-forget completes at once. */
  send(template: RequestTemplate, context: T): number {
    const streamId = this.ids.next();
    if (this.lostError) {
      this.observer.onError(context, ERROR_CODE.CONNECTION_ERROR, this.lostError.message);
      return streamId;
    }
    this.peer.connection.sendTemplate(template.bytes, streamId);
    switch (template.mode) {
      case INTERACTION.REQUEST_RESPONSE:
        this.singles.set(streamId, context);
        break;
      case INTERACTION.FIRE_AND_FORGET:
        this.observer.onComplete(context);
        break;
      default:
        this.streams.set(streamId, context);
    }
    return streamId;
  }

  /** Stops a stream: CANCEL goes out and the observer hears nothing more of it. */
  cancel(streamId: number): void {
    if (this.singles.delete(streamId) || this.streams.delete(streamId)) this.peer.connection.sendCancel(streamId);
  }

  requestN(streamId: number, n: number): void {
    if (this.streams.has(streamId)) this.peer.connection.sendRequestN(streamId, n);
  }

  onStreamFrame(buf: Buffer, start: number, end: number, type: number, flags: number, streamId: number): void {
    if (type === FRAME_TYPE.PAYLOAD) {
      const single = this.singles.get(streamId);
      if (single !== undefined) {
        if (flags & FLAG.FOLLOWS) return;
        this.singles.delete(streamId);
        if (flags & FLAG.NEXT) this.observer.onNext?.(single, buf, start, end);
        this.observer.onComplete(single);
        return;
      }
      const stream = this.streams.get(streamId);
      if (stream === undefined) return;
      if (flags & FLAG.NEXT) this.observer.onNext?.(stream, buf, start, end);
      if (flags & FLAG.COMPLETE && !(flags & FLAG.FOLLOWS)) {
        this.streams.delete(streamId);
        this.observer.onComplete(stream);
      }
    } else if (type === FRAME_TYPE.ERROR) {
      const context = this.singles.get(streamId) ?? this.streams.get(streamId);
      if (context === undefined) return;
      this.singles.delete(streamId);
      this.streams.delete(streamId);
      this.observer.onError(context, readWireErrorCode(buf, start, end), buf.toString('utf8', WIRE_OFFSET.BODY + 4 + start, end));
    }
    // REQUEST_N and CANCEL from a channel's responder: a lean channel has already completed its side.
  }

  onConnectionLost(error: Error): void {
    this.lostError = error;
    const pending = [...this.singles.toArray(), ...this.streams.toArray()];
    this.singles.clear();
    this.streams.clear();
    for (const context of pending) this.observer.onError(context, ERROR_CODE.CONNECTION_ERROR, error.message);
  }
}
