import { readU24, readU31 } from './bytes.js';
import { FLAG, FRAME_TYPE, METADATA_LENGTH_SIZE, WIRE_OFFSET } from './constants.js';
import { PROTOCOL_ERROR_CODE, ProtocolError } from './errors.js';

/**
 * Header-only readers for the forwarding path. Each takes the buffer and the offset of a
 * frame's first header byte, as the splitter and the WebSocket receiver report it, and reads only what it names:
 * nothing is decoded, copied or allocated (but the route string).
 */

// The stream id is read and written byte by byte: twice per forwarded frame, and Buffer's
// readUInt32BE/writeUInt32BE carry argument checks that the optimizer does not always inline.
// A frame the splitter reports holds its whole 6-byte header, so the bytes are there.

/** The u31 stream id, the reserved top bit dropped. */
export function readWireStreamId(buf: Buffer, frameStart: number): number {
  const at = frameStart + WIRE_OFFSET.STREAM_ID;
  return ((buf[at]! & 0x7f) << 24) | (buf[at + 1]! << 16) | (buf[at + 2]! << 8) | buf[at + 3]!;
}

/** Overwrites the stream id (a u31, top bit 0) in place: how the broker moves a frame from one connection to another. */
export function writeWireStreamId(buf: Buffer, frameStart: number, streamId: number): void {
  const at = frameStart + WIRE_OFFSET.STREAM_ID;
  buf[at] = streamId >>> 24;
  buf[at + 1] = (streamId >>> 16) & 0xff;
  buf[at + 2] = (streamId >>> 8) & 0xff;
  buf[at + 3] = streamId & 0xff;
}

export function readWireFrameType(buf: Buffer, frameStart: number): number {
  return buf[frameStart + WIRE_OFFSET.TYPE_AND_FLAGS]! >>> 2;
}

export function readWireFlags(buf: Buffer, frameStart: number): number {
  const at = frameStart + WIRE_OFFSET.TYPE_AND_FLAGS;
  return ((buf[at]! & 0x03) << 8) | buf[at + 1]!;
}

/** The u31 right after the header: REQUEST_N's N, REQUEST_STREAM's and REQUEST_CHANNEL's initial N. */
export function readWireRequestN(buf: Buffer, frameStart: number, frameEnd: number): number {
  if (frameStart + WIRE_OFFSET.BODY + 4 > frameEnd) {
    throw new ProtocolError(PROTOCOL_ERROR_CODE.FRAME_TRUNCATED, 'frame ends inside its request N');
  }
  return readU31(buf, frameStart + WIRE_OFFSET.BODY);
}

/** The u32 error code of an ERROR frame. */
export function readWireErrorCode(buf: Buffer, frameStart: number, frameEnd: number): number {
  if (frameStart + WIRE_OFFSET.BODY + 4 > frameEnd) {
    throw new ProtocolError(PROTOCOL_ERROR_CODE.FRAME_TRUNCATED, 'frame ends inside its error code');
  }
  return buf.readUInt32BE(frameStart + WIRE_OFFSET.BODY);
}

/**
 * Where the metadata-and-data part of a frame starts: after the header and the fields of
 * its type. For REQUEST_*, PAYLOAD and EXT frames the u24 metadata length sits here when
 * the METADATA flag is set.
 */
export function readWirePayloadStart(buf: Buffer, frameStart: number): number {
  return locateWirePayload(frameStart, readWireFrameType(buf, frameStart));
}

/** `readWirePayloadStart` of a frame whose type is already known (see FrameHeader). */
export function locateWirePayload(frameStart: number, type: number): number {
  const fields = type === FRAME_TYPE.REQUEST_STREAM || type === FRAME_TYPE.REQUEST_CHANNEL || type === FRAME_TYPE.EXT ? 4 : 0;
  return frameStart + WIRE_OFFSET.BODY + fields;
}

/**
 * The end of the metadata (and start of the data) of a frame with a payload; equal to
 * `readWirePayloadStart` when the frame has no metadata. Throws when the length runs past the frame.
 */
export function readWireDataStart(buf: Buffer, frameStart: number, frameEnd: number): number {
  return locateWireData(buf, frameStart, frameEnd, readWireFrameType(buf, frameStart), readWireFlags(buf, frameStart));
}

/** `readWireDataStart` of a frame whose type and flags are already read (see FrameHeader). */
export function locateWireData(buf: Buffer, frameStart: number, frameEnd: number, type: number, flags: number): number {
  const payloadStart = locateWirePayload(frameStart, type);
  if ((flags & FLAG.METADATA) === 0) return Math.min(payloadStart, frameEnd);
  if (payloadStart + METADATA_LENGTH_SIZE > frameEnd) {
    throw new ProtocolError(PROTOCOL_ERROR_CODE.FRAME_TRUNCATED, 'frame ends inside its metadata length');
  }
  const dataStart = payloadStart + METADATA_LENGTH_SIZE + readU24(buf, payloadStart);
  if (dataStart > frameEnd) {
    throw new ProtocolError(
      PROTOCOL_ERROR_CODE.METADATA_LENGTH,
      `metadata length ${dataStart - payloadStart - METADATA_LENGTH_SIZE} runs past the end of the frame (${frameEnd - payloadStart - METADATA_LENGTH_SIZE} bytes left)`,
    );
  }
  return dataStart;
}

/** How a connection's request metadata is laid out, from the metadata MIME type of its SETUP. */
export const METADATA_FORMAT = {
  /** `message/x.rsocket.composite-metadata.v0`: the route is the routing entry's first tag. */
  COMPOSITE: 0,
  /** `message/x.rsocket.routing.v0`: the whole metadata is routing tags. */
  ROUTING: 1,
} as const;
export type MetadataFormat = (typeof METADATA_FORMAT)[keyof typeof METADATA_FORMAT];

const ROUTING_MIME_ID = 0x7e;
const ROUTING_MIME_BYTES = Buffer.from('message/x.rsocket.routing.v0', 'ascii');
/** Alibaba's binary routing entry (ALIBABA_MIME_ID.BINARY_ROUTING): the SDK puts it first in a request's metadata. */
const BINARY_ROUTING_MIME_ID = 0x50;
/** Its service id, handler id and flags (int32 each) before the routing key. */
const BINARY_ROUTING_IDS_SIZE = 12;
const QUESTION_MARK = 0x3f;

/**
 * Where a request's route lies: its UTF-8 bytes are `buf[start, end)`. Filled in place by
 * `locateWireRouteSpan`, so that finding a route allocates nothing: the broker routes by
 * these bytes and decodes them only for a route it has not seen.
 */
export interface RouteSpan {
  start: number;
  end: number;
}

/** What the decoding readers below locate into: they run to completion, one at a time. */
const SCRATCH_SPAN: RouteSpan = { start: 0, end: 0 };

/**
 * Reads the route (first routing tag) of a REQUEST_* frame from its metadata bytes.
 * Returns null when the frame has no metadata or no routing entry; throws a ProtocolError
 * when a length runs past its container.
 */
export function readWireRoute(buf: Buffer, frameStart: number, frameEnd: number, format: MetadataFormat): string | null {
  return locateWireRoute(buf, frameStart, frameEnd, readWireFrameType(buf, frameStart), readWireFlags(buf, frameStart), format);
}

/** `readWireRoute` of a frame whose type and flags are already read (see FrameHeader). */
export function locateWireRoute(buf: Buffer, frameStart: number, frameEnd: number, type: number, flags: number, format: MetadataFormat): string | null {
  return locateWireRouteSpan(buf, frameStart, frameEnd, type, flags, format, SCRATCH_SPAN) ? decodeRouteSpan(buf, SCRATCH_SPAN) : null;
}

/**
 * Where the route of a request lies, without decoding it: fills `span` and returns true, or
 * returns false when the frame has no metadata or no routing entry. Throws a ProtocolError
 * when a length runs past its container.
 */
export function locateWireRouteSpan(buf: Buffer, frameStart: number, frameEnd: number, type: number, flags: number, format: MetadataFormat, span: RouteSpan): boolean {
  if ((flags & FLAG.METADATA) === 0) return false;
  const metadataEnd = locateWireData(buf, frameStart, frameEnd, type, flags);
  const metadataStart = locateWirePayload(frameStart, type) + METADATA_LENGTH_SIZE;
  if (format === METADATA_FORMAT.ROUTING) return locateFirstTag(buf, metadataStart, metadataEnd, span);
  return locateCompositeRoute(buf, metadataStart, metadataEnd, span);
}

/**
 * Walks composite metadata entries in place until the routing entry (see
 * composite-metadata.ts for the layout): rsb's own, a routing entry (0x7E), is tested
 * first; an Alibaba binary routing entry (0x50) that carries a routing key routes too.
 */
export function readRouteFromComposite(buf: Buffer, start: number, end: number): string | null {
  return locateCompositeRoute(buf, start, end, SCRATCH_SPAN) ? decodeRouteSpan(buf, SCRATCH_SPAN) : null;
}

/** `readRouteFromComposite` without decoding: fills `span`, or returns false when there is no route. */
function locateCompositeRoute(buf: Buffer, start: number, end: number, span: RouteSpan): boolean {
  let at = start;
  while (at < end) {
    const mimeByte = buf[at++]!;
    let isRouting: boolean;
    let isBinaryRouting = false;
    if (mimeByte & 0x80) {
      isRouting = (mimeByte & 0x7f) === ROUTING_MIME_ID;
      isBinaryRouting = !isRouting && (mimeByte & 0x7f) === BINARY_ROUTING_MIME_ID;
    } else {
      const mimeLength = (mimeByte & 0x7f) + 1;
      if (at + mimeLength > end) throw compositeOverrun('MIME type');
      isRouting = mimeLength === ROUTING_MIME_BYTES.length && buf.compare(ROUTING_MIME_BYTES, 0, mimeLength, at, at + mimeLength) === 0;
      at += mimeLength;
    }
    if (at + 3 > end) throw compositeOverrun('entry length');
    const contentEnd = at + 3 + readU24(buf, at);
    at += 3;
    if (contentEnd > end) throw compositeOverrun('entry content');
    if (isRouting) return locateFirstTag(buf, at, contentEnd, span);
    if (isBinaryRouting && locateBinaryRoutingKey(buf, at, contentEnd, span)) return true;
    at = contentEnd;
  }
  return false;
}

// Alibaba binary routing entry content (alibaba-rsocket-core BinaryRoutingMetadata):
//   | service id i32 | handler id i32 | flags i32 | routing key (UTF-8, to the end) |
// The key is `group!service.method:version`, perhaps followed by `?sticky=1&e=ENDPOINT`,
// which is the SDK's own instance pinning and is cut off. An entry of ids alone (older
// SDKs, 8 bytes) names no key: the walk goes on to the routing entry the SDK also sends.
function locateBinaryRoutingKey(buf: Buffer, start: number, end: number, span: RouteSpan): boolean {
  const keyStart = start + BINARY_ROUTING_IDS_SIZE;
  if (keyStart >= end) return false;
  let keyEnd = keyStart;
  while (keyEnd < end && buf[keyEnd] !== QUESTION_MARK) keyEnd++;
  if (keyEnd === keyStart) return false;
  span.start = keyStart;
  span.end = keyEnd;
  return true;
}

/** The first tag of routing metadata `buf[start, end)` (a length byte, then that many bytes): fills `span`, or returns false when there is none. */
function locateFirstTag(buf: Buffer, start: number, end: number, span: RouteSpan): boolean {
  if (start >= end) return false;
  const tagEnd = start + 1 + buf[start]!;
  if (tagEnd > end) {
    throw new ProtocolError(PROTOCOL_ERROR_CODE.ROUTING_METADATA, 'routing tag length runs past the end of the routing metadata');
  }
  span.start = start + 1;
  span.end = tagEnd;
  return true;
}

/** The route a span covers, as text. */
export function decodeRouteSpan(buf: Buffer, span: RouteSpan): string {
  return buf.toString('utf8', span.start, span.end);
}

function compositeOverrun(part: string): ProtocolError {
  return new ProtocolError(PROTOCOL_ERROR_CODE.COMPOSITE_METADATA, `composite metadata ${part} runs past the end of the metadata`);
}

/**
 * The answer to a KEEPALIVE with the RESPOND flag: the same frame with RESPOND cleared, the
 * data echoed ("The data ... MUST be echoed back", Protocol.md "KEEPALIVE Frame") and a last
 * received position of 0, as an endpoint without resumption reports it. Returned without
 * a length prefix, as connections send frames.
 */
export function answerWireKeepalive(buf: Buffer, frameStart: number, frameEnd: number): Buffer {
  if (frameEnd - frameStart < WIRE_OFFSET.BODY + 8) {
    throw new ProtocolError(PROTOCOL_ERROR_CODE.FRAME_TRUNCATED, 'KEEPALIVE ends inside its last received position');
  }
  const answer = Buffer.from(buf.subarray(frameStart, frameEnd));
  answer[WIRE_OFFSET.TYPE_AND_FLAGS + 1] = answer[WIRE_OFFSET.TYPE_AND_FLAGS + 1]! & ~FLAG.RESPOND;
  answer.fill(0, WIRE_OFFSET.BODY, WIRE_OFFSET.BODY + 8);
  return answer;
}
