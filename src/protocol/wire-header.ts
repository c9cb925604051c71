import { readU24, readU31 } from './bytes.js';
import { FLAG, FRAME_TYPE, METADATA_LENGTH_SIZE, WIRE_OFFSET } from './constants.js';
import { PROTOCOL_ERROR_CODE, ProtocolError } from './errors.js';

/**
 * Header-only readers for the forwarding path. Each takes the buffer and the offset of a
 * frame's first header byte, as the splitter and the WebSocket receiver report it, and reads only what it names:
 * nothing is decoded, copied or allocated (but the route string).
 */

export function readWireStreamId(buf: Buffer, frameStart: number): number {
  return readU31(buf, frameStart + WIRE_OFFSET.STREAM_ID);
}

/** Overwrites the stream id in place: how the broker moves a frame from one connection to another. */
export function writeWireStreamId(buf: Buffer, frameStart: number, streamId: number): void {
  buf.writeUInt32BE(streamId, frameStart + WIRE_OFFSET.STREAM_ID);
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
 * Reads the route (first routing tag) of a REQUEST_* frame from its metadata bytes.
 * Returns null when the frame has no metadata or no routing entry; throws a ProtocolError
 * when a length runs past its container.
 */
export function readWireRoute(buf: Buffer, frameStart: number, frameEnd: number, format: MetadataFormat): string | null {
  return locateWireRoute(buf, frameStart, frameEnd, readWireFrameType(buf, frameStart), readWireFlags(buf, frameStart), format);
}

/** `readWireRoute` of a frame whose type and flags are already read (see FrameHeader). */
export function locateWireRoute(buf: Buffer, frameStart: number, frameEnd: number, type: number, flags: number, format: MetadataFormat): string | null {
  if ((flags & FLAG.METADATA) === 0) return null;
  const metadataEnd = locateWireData(buf, frameStart, frameEnd, type, flags);
  const metadataStart = locateWirePayload(frameStart, type) + METADATA_LENGTH_SIZE;
  if (format === METADATA_FORMAT.ROUTING) return readFirstTag(buf, metadataStart, metadataEnd);
  return readRouteFromComposite(buf, metadataStart, metadataEnd);
}

/**
 * Walks composite metadata entries in place until the routing entry (see
 * composite-metadata.ts for the layout): rsb's own, a routing entry (0x7E), is tested
 * first; an Alibaba binary routing entry (0x50) that carries a routing key routes too.
 */
export function readRouteFromComposite(buf: Buffer, start: number, end: number): string | null {
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
    if (isRouting) return readFirstTag(buf, at, contentEnd);
    if (isBinaryRouting) {
      const key = readBinaryRoutingKey(buf, at, contentEnd);
      if (key !== null) return key;
    }
    at = contentEnd;
  }
  return null;
}

// Alibaba binary routing entry content (alibaba-rsocket-core BinaryRoutingMetadata):
//   | service id i32 | handler id i32 | flags i32 | routing key (UTF-8, to the end) |
// The key is `group!service.method:version`, perhaps followed by `?sticky=1&e=ENDPOINT`,
// which is the SDK's own instance pinning and is cut off. An entry of ids alone (older
// SDKs, 8 bytes) names no key: the walk goes on to the routing entry the SDK also sends.
function readBinaryRoutingKey(buf: Buffer, start: number, end: number): string | null {
  const keyStart = start + BINARY_ROUTING_IDS_SIZE;
  if (keyStart >= end) return null;
  let keyEnd = keyStart;
  while (keyEnd < end && buf[keyEnd] !== QUESTION_MARK) keyEnd++;
  return keyEnd > keyStart ? buf.toString('utf8', keyStart, keyEnd) : null;
}

function readFirstTag(buf: Buffer, start: number, end: number): string | null {
  if (start >= end) return null;
  const tagEnd = start + 1 + buf[start]!;
  if (tagEnd > end) {
    throw new ProtocolError(PROTOCOL_ERROR_CODE.ROUTING_METADATA, 'routing tag length runs past the end of the routing metadata');
  }
  return buf.toString('utf8', start + 1, tagEnd);
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
