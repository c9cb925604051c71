import { assertAscii, assertInRange, writeU24 } from './bytes.js';
import {
  FLAG,
  FLAGS_MASK,
  FRAME_HEADER_SIZE,
  FRAME_LENGTH_SIZE,
  FRAME_TYPE,
  FRAME_TYPE_SHIFT,
  MAX_FRAME_LENGTH,
  MAX_KEEPALIVE_MS,
  MAX_METADATA_LENGTH,
  MAX_MIME_LENGTH,
  MAX_POSITION,
  MAX_REQUEST_N,
  MAX_RESUME_TOKEN_LENGTH,
  MAX_STREAM_ID,
  METADATA_LENGTH_SIZE,
} from './constants.js';
import { PROTOCOL_ERROR_CODE, ProtocolError } from './errors.js';
import type { Frame } from './frames.js';

/**
 * Encodes a frame as it travels on TCP: u24 length prefix, then the frame. One buffer of
 * the exact size is allocated; data and metadata are copied into it once.
 */
export function encodeFrame(frame: Frame): Buffer {
  const bodySize = measureFrameBody(frame);
  const buf = Buffer.allocUnsafe(FRAME_LENGTH_SIZE + bodySize);
  writeU24(buf, 0, bodySize);
  writeFrameBody(frame, buf, FRAME_LENGTH_SIZE);
  return buf;
}

/** Encodes a frame without its length prefix (the form rsocket-core's `serializeFrame` uses). */
export function encodeFrameBody(frame: Frame): Buffer {
  const buf = Buffer.allocUnsafe(measureFrameBody(frame));
  writeFrameBody(frame, buf, 0);
  return buf;
}

/** The size of the frame without its length prefix; throws when it exceeds the u24 limit. */
export function measureFrameBody(frame: Frame): number {
  const size = FRAME_HEADER_SIZE + measureTypeFields(frame) + measureTail(frame);
  if (size > MAX_FRAME_LENGTH) {
    throw new ProtocolError(PROTOCOL_ERROR_CODE.FRAME_TOO_LONG, `frame of ${size} bytes exceeds the u24 frame length limit of ${MAX_FRAME_LENGTH}`);
  }
  return size;
}

function measureTypeFields(frame: Frame): number {
  switch (frame.type) {
    case FRAME_TYPE.SETUP:
      return 12 + (frame.resumeToken ? 2 + frame.resumeToken.length : 0) + 2 + frame.metadataMimeType.length + frame.dataMimeType.length;
    case FRAME_TYPE.LEASE:
    case FRAME_TYPE.KEEPALIVE:
    case FRAME_TYPE.RESUME_OK:
      return 8;
    case FRAME_TYPE.REQUEST_STREAM:
    case FRAME_TYPE.REQUEST_CHANNEL:
    case FRAME_TYPE.REQUEST_N:
    case FRAME_TYPE.ERROR:
    case FRAME_TYPE.EXT:
      return 4;
    case FRAME_TYPE.RESUME:
      return 6 + frame.resumeToken.length + 16;
    default:
      return 0;
  }
}

/** Bytes after the type-specific fields: metadata and data, an error message, or a bare remainder. */
function measureTail(frame: Frame): number {
  switch (frame.type) {
    case FRAME_TYPE.LEASE:
      return frame.metadata?.length ?? 0;
    case FRAME_TYPE.KEEPALIVE:
      return frame.data.length;
    case FRAME_TYPE.ERROR:
      return Buffer.byteLength(frame.message, 'utf8');
    case FRAME_TYPE.METADATA_PUSH:
      return frame.metadata.length;
    case FRAME_TYPE.SETUP:
    case FRAME_TYPE.REQUEST_RESPONSE:
    case FRAME_TYPE.REQUEST_FNF:
    case FRAME_TYPE.REQUEST_STREAM:
    case FRAME_TYPE.REQUEST_CHANNEL:
    case FRAME_TYPE.PAYLOAD:
    case FRAME_TYPE.EXT:
      return (frame.metadata ? METADATA_LENGTH_SIZE + frame.metadata.length : 0) + frame.data.length;
    default:
      return 0;
  }
}

/** The flags as they go on the wire: METADATA (and SETUP's RESUME_ENABLE) follow the fields, not the caller. */
function wireFlags(frame: Frame): number {
  let flags = frame.flags & FLAGS_MASK;
  switch (frame.type) {
    case FRAME_TYPE.SETUP:
      flags = frame.resumeToken ? flags | FLAG.RESUME_ENABLE : flags & ~FLAG.RESUME_ENABLE;
      return frame.metadata ? flags | FLAG.METADATA : flags & ~FLAG.METADATA;
    case FRAME_TYPE.LEASE:
    case FRAME_TYPE.REQUEST_RESPONSE:
    case FRAME_TYPE.REQUEST_FNF:
    case FRAME_TYPE.REQUEST_STREAM:
    case FRAME_TYPE.REQUEST_CHANNEL:
    case FRAME_TYPE.PAYLOAD:
    case FRAME_TYPE.EXT:
      return frame.metadata ? flags | FLAG.METADATA : flags & ~FLAG.METADATA;
    case FRAME_TYPE.METADATA_PUSH:
      return flags | FLAG.METADATA;
    default:
      return flags & ~FLAG.METADATA;
  }
}

// Frame header (Protocol.md "Frame Header Format"):
//   | 0 | stream id u31 | frame type u6 | flags u10 |
function writeFrameBody(frame: Frame, buf: Buffer, start: number): void {
  assertInRange('stream id', frame.streamId, 0, MAX_STREAM_ID);
  buf.writeUInt32BE(frame.streamId, start);
  buf.writeUInt16BE((frame.type << FRAME_TYPE_SHIFT) | wireFlags(frame), start + 4);
  const offset = start + FRAME_HEADER_SIZE;
  switch (frame.type) {
    // SETUP: | u16 major | u16 minor | u31 keepalive ms | u31 lifetime ms |
    //        [| u16 token length | token |] if RESUME_ENABLE
    //        | u8 length | metadata MIME | u8 length | data MIME | [u24 length | metadata] | data |
    case FRAME_TYPE.SETUP: {
      assertInRange('major version', frame.majorVersion, 0, 0xffff);
      assertInRange('minor version', frame.minorVersion, 0, 0xffff);
      assertInRange('keepalive interval', frame.keepAlive, 1, MAX_KEEPALIVE_MS);
      assertInRange('max lifetime', frame.lifetime, 1, MAX_KEEPALIVE_MS);
      assertAscii('metadata MIME type', frame.metadataMimeType, MAX_MIME_LENGTH);
      assertAscii('data MIME type', frame.dataMimeType, MAX_MIME_LENGTH);
      let at = buf.writeUInt16BE(frame.majorVersion, offset);
      at = buf.writeUInt16BE(frame.minorVersion, at);
      at = buf.writeUInt32BE(frame.keepAlive, at);
      at = buf.writeUInt32BE(frame.lifetime, at);
      if (frame.resumeToken) {
        assertInRange('resume token length', frame.resumeToken.length, 0, MAX_RESUME_TOKEN_LENGTH);
        at = buf.writeUInt16BE(frame.resumeToken.length, at);
        at += frame.resumeToken.copy(buf, at);
      }
      at = writeAsciiWithU8Length(buf, at, frame.metadataMimeType);
      at = writeAsciiWithU8Length(buf, at, frame.dataMimeType);
      writePayload(buf, at, frame.metadata, frame.data);
      return;
    }
    // LEASE: | u31 ttl ms | u31 number of requests | metadata (the rest, when M) |
    case FRAME_TYPE.LEASE: {
      assertInRange('lease ttl', frame.ttl, 0, 0x7fffffff);
      assertInRange('lease request count', frame.requestCount, 0, 0x7fffffff);
      let at = buf.writeUInt32BE(frame.ttl, offset);
      at = buf.writeUInt32BE(frame.requestCount, at);
      frame.metadata?.copy(buf, at);
      return;
    }
    // KEEPALIVE: | u63 last received position | data (the rest) |
    case FRAME_TYPE.KEEPALIVE:
      writePosition(buf, offset, 'last received position', frame.lastReceivedPosition);
      frame.data.copy(buf, offset + 8);
      return;
    // REQUEST_RESPONSE, REQUEST_FNF, PAYLOAD: | [u24 length | metadata] | data |
    case FRAME_TYPE.REQUEST_RESPONSE:
    case FRAME_TYPE.REQUEST_FNF:
    case FRAME_TYPE.PAYLOAD:
      writePayload(buf, offset, frame.metadata, frame.data);
      return;
    // REQUEST_STREAM, REQUEST_CHANNEL: | u31 initial request N | [u24 length | metadata] | data |
    case FRAME_TYPE.REQUEST_STREAM:
    case FRAME_TYPE.REQUEST_CHANNEL:
      assertInRange('initial request N', frame.requestN, 1, MAX_REQUEST_N);
      buf.writeUInt32BE(frame.requestN, offset);
      writePayload(buf, offset + 4, frame.metadata, frame.data);
      return;
    // REQUEST_N: | u31 N |
    case FRAME_TYPE.REQUEST_N:
      assertInRange('request N', frame.requestN, 1, MAX_REQUEST_N);
      buf.writeUInt32BE(frame.requestN, offset);
      return;
    // CANCEL: header only.
    case FRAME_TYPE.CANCEL:
      return;
    // ERROR: | u32 error code | UTF-8 message (the rest) |
    case FRAME_TYPE.ERROR:
      assertInRange('error code', frame.code, 0, 0xffffffff);
      buf.writeUInt32BE(frame.code, offset);
      buf.write(frame.message, offset + 4, 'utf8');
      return;
    // METADATA_PUSH: | metadata (the rest) |
    case FRAME_TYPE.METADATA_PUSH:
      frame.metadata.copy(buf, offset);
      return;
    // RESUME: | u16 major | u16 minor | u16 token length | token |
    //         | u63 last received server position | u63 first available client position |
    case FRAME_TYPE.RESUME: {
      assertInRange('major version', frame.majorVersion, 0, 0xffff);
      assertInRange('minor version', frame.minorVersion, 0, 0xffff);
      assertInRange('resume token length', frame.resumeToken.length, 0, MAX_RESUME_TOKEN_LENGTH);
      let at = buf.writeUInt16BE(frame.majorVersion, offset);
      at = buf.writeUInt16BE(frame.minorVersion, at);
      at = buf.writeUInt16BE(frame.resumeToken.length, at);
      at += frame.resumeToken.copy(buf, at);
      at = writePosition(buf, at, 'last received server position', frame.lastReceivedServerPosition);
      writePosition(buf, at, 'first available client position', frame.firstAvailableClientPosition);
      return;
    }
    // RESUME_OK: | u63 last received client position |
    case FRAME_TYPE.RESUME_OK:
      writePosition(buf, offset, 'last received client position', frame.lastReceivedClientPosition);
      return;
    // EXT: | u31 extended type | [u24 length | metadata] | data |
    case FRAME_TYPE.EXT:
      assertInRange('extended type', frame.extendedType, 0, 0x7fffffff);
      buf.writeUInt32BE(frame.extendedType, offset);
      writePayload(buf, offset + 4, frame.metadata, frame.data);
      return;
  }
}

function writePayload(buf: Buffer, offset: number, metadata: Buffer | null, data: Buffer): void {
  let at = offset;
  if (metadata) {
    if (metadata.length > MAX_METADATA_LENGTH) {
      throw new ProtocolError(PROTOCOL_ERROR_CODE.METADATA_LENGTH, `metadata of ${metadata.length} bytes exceeds the u24 limit`);
    }
    writeU24(buf, at, metadata.length);
    at += METADATA_LENGTH_SIZE;
    at += metadata.copy(buf, at);
  }
  data.copy(buf, at);
}

function writeAsciiWithU8Length(buf: Buffer, offset: number, text: string): number {
  buf[offset] = text.length;
  return offset + 1 + buf.write(text, offset + 1, 'ascii');
}

function writePosition(buf: Buffer, offset: number, field: string, position: bigint): number {
  if (position < 0n || position > MAX_POSITION) {
    throw new ProtocolError(PROTOCOL_ERROR_CODE.INVALID_FIELD, `${field} must fit in 63 bits, got ${position}`);
  }
  return buf.writeBigUInt64BE(position, offset);
}
