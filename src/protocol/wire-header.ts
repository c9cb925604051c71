import { readU24, readU31 } from './bytes.js';
import { FLAG, FRAME_LENGTH_SIZE, FRAME_TYPE, METADATA_LENGTH_SIZE, WIRE_OFFSET } from './constants.js';
import { PROTOCOL_ERROR_CODE, ProtocolError } from './errors.js';

/**
 * Header-only readers for the forwarding path. Each takes the buffer and the offset of a
 * frame's first length byte, as the splitter reports it, and reads only what it names:
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
  return decodeRoutingTag(buf, locateWireRouteTag(buf, frameStart, frameEnd, type, flags, format));
}

/**
 * Where the route of a request lies, without decoding it: the offset of its routing tag's
 * length byte (the tag is the `buf[at]` bytes after it), or -1 when the frame has no metadata
 * or no routing entry. Throws a ProtocolError when a length runs past its container.
 */
export function locateWireRouteTag(buf: Buffer, frameStart: number, frameEnd: number, type: number, flags: number, format: MetadataFormat): number {
  if ((flags & FLAG.METADATA) === 0) return -1;
  const metadataEnd = locateWireData(buf, frameStart, frameEnd, type, flags);
  const metadataStart = locateWirePayload(frameStart, type) + METADATA_LENGTH_SIZE;
  if (format === METADATA_FORMAT.ROUTING) return locateFirstTag(buf, metadataStart, metadataEnd);
  return locateCompositeRoutingTag(buf, metadataStart, metadataEnd);
}

/** Walks composite metadata entries in place until the routing entry; see composite-metadata.ts for the layout. */
export function readRouteFromComposite(buf: Buffer, start: number, end: number): string | null {
  return decodeRoutingTag(buf, locateCompositeRoutingTag(buf, start, end));
}

/** `readRouteFromComposite` without decoding: the offset of the routing tag's length byte, or -1. */
function locateCompositeRoutingTag(buf: Buffer, start: number, end: number): number {
  let at = start;
  while (at < end) {
    const mimeByte = buf[at++]!;
    let isRouting: boolean;
    if (mimeByte & 0x80) {
      isRouting = (mimeByte & 0x7f) === ROUTING_MIME_ID;
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
    if (isRouting) return locateFirstTag(buf, at, contentEnd);
    at = contentEnd;
  }
  return -1;
}

/** The first tag of routing metadata `buf[start, end)`: the offset of its length byte, or -1 when there is none. */
function locateFirstTag(buf: Buffer, start: number, end: number): number {
  if (start >= end) return -1;
  if (start + 1 + buf[start]! > end) {
    throw new ProtocolError(PROTOCOL_ERROR_CODE.ROUTING_METADATA, 'routing tag length runs past the end of the routing metadata');
  }
  return start;
}

/** The routing tag whose length byte is at `tag` (see locateWireRouteTag), as text; null for -1. */
export function decodeRoutingTag(buf: Buffer, tag: number): string | null {
  return tag < 0 ? null : buf.toString('utf8', tag + 1, tag + 1 + buf[tag]!);
}

function compositeOverrun(part: string): ProtocolError {
  return new ProtocolError(PROTOCOL_ERROR_CODE.COMPOSITE_METADATA, `composite metadata ${part} runs past the end of the metadata`);
}

/** Total bytes of the frame starting at `frameStart`, length prefix included. */
export function readWireFrameSize(buf: Buffer, frameStart: number): number {
  return FRAME_LENGTH_SIZE + readU24(buf, frameStart);
}

/**
 * The answer to a KEEPALIVE with the RESPOND flag: the same frame with RESPOND cleared, the
 * data echoed ("The data ... MUST be echoed back", Protocol.md "KEEPALIVE Frame") and a last
 * received position of 0, as an endpoint without resumption reports it.
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
