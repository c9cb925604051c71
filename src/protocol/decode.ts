import { readU24, readU31 } from './bytes.js';
import {
  FLAG,
  FLAGS_MASK,
  FRAME_HEADER_SIZE,
  FRAME_LENGTH_SIZE,
  FRAME_TYPE,
  FRAME_TYPE_SHIFT,
  METADATA_LENGTH_SIZE,
  nameFrameType,
} from './constants.js';
import { PROTOCOL_ERROR_CODE, ProtocolError } from './errors.js';
import type { Frame } from './frames.js';

/**
 * Decodes one frame without its length prefix, from `bytes[start, end)`. Data, metadata and
 * tokens are views into `bytes`, not copies. Anything malformed throws a ProtocolError.
 */
export function decodeFrame(bytes: Buffer, start = 0, end = bytes.length): Frame {
  return new FrameReader(bytes, start, end).readFrame();
}

/** Decodes one frame as it travels on TCP, u24 length prefix included; the prefix must match the span. */
export function decodeWireFrame(bytes: Buffer, start = 0, end = bytes.length): Frame {
  if (end - start < FRAME_LENGTH_SIZE) {
    throw new ProtocolError(PROTOCOL_ERROR_CODE.FRAME_TRUNCATED, 'frame ends inside its length prefix');
  }
  const length = readU24(bytes, start);
  if (length !== end - start - FRAME_LENGTH_SIZE) {
    throw new ProtocolError(PROTOCOL_ERROR_CODE.FRAME_TRUNCATED, `length prefix says ${length} bytes but ${end - start - FRAME_LENGTH_SIZE} follow`);
  }
  return decodeFrame(bytes, start + FRAME_LENGTH_SIZE, end);
}

/** Which stream ids a frame type may use (Protocol.md, "Frame Types", column "Stream ID"). */
const STREAM_ZERO_ONLY = new Set<number>([
  FRAME_TYPE.SETUP,
  FRAME_TYPE.LEASE,
  FRAME_TYPE.KEEPALIVE,
  FRAME_TYPE.METADATA_PUSH,
  FRAME_TYPE.RESUME,
  FRAME_TYPE.RESUME_OK,
]);
const STREAM_NON_ZERO_ONLY = new Set<number>([
  FRAME_TYPE.REQUEST_RESPONSE,
  FRAME_TYPE.REQUEST_FNF,
  FRAME_TYPE.REQUEST_STREAM,
  FRAME_TYPE.REQUEST_CHANNEL,
  FRAME_TYPE.REQUEST_N,
  FRAME_TYPE.CANCEL,
  FRAME_TYPE.PAYLOAD,
]);

/** Checks the stream id against the frame type; shared by the decoder and the broker's header-only path. */
export function checkStreamIdForType(type: number, streamId: number): void {
  if (streamId === 0 && STREAM_NON_ZERO_ONLY.has(type)) {
    throw new ProtocolError(PROTOCOL_ERROR_CODE.INVALID_STREAM_ID, `${nameFrameType(type)} must not use stream 0`);
  }
  if (streamId !== 0 && STREAM_ZERO_ONLY.has(type)) {
    throw new ProtocolError(PROTOCOL_ERROR_CODE.INVALID_STREAM_ID, `${nameFrameType(type)} must use stream 0, got stream ${streamId}`);
  }
}

/** A bounds-checked cursor over one frame body. */
class FrameReader {
  private at: number;

  constructor(
    private readonly bytes: Buffer,
    private readonly start: number,
    private readonly end: number,
  ) {
    this.at = start;
  }

  readFrame(): Frame {
    if (this.end - this.start < FRAME_HEADER_SIZE) {
      throw new ProtocolError(PROTOCOL_ERROR_CODE.FRAME_TOO_SHORT, `frame of ${this.end - this.start} bytes is shorter than the 6-byte header`);
    }
    const streamId = this.u31();
    const typeAndFlags = this.u16();
    const type = typeAndFlags >>> FRAME_TYPE_SHIFT;
    const flags = typeAndFlags & FLAGS_MASK;
    const hasMetadata = (flags & FLAG.METADATA) !== 0;
    checkStreamIdForType(type, streamId);
    switch (type) {
      case FRAME_TYPE.SETUP: {
        const majorVersion = this.u16();
        const minorVersion = this.u16();
        const keepAlive = this.u31();
        const lifetime = this.u31();
        const resumeToken = flags & FLAG.RESUME_ENABLE ? this.bytesOf(this.u16(), 'resume token') : null;
        const metadataMimeType = this.mimeType('metadata MIME type');
        const dataMimeType = this.mimeType('data MIME type');
        const { metadata, data } = this.payload(hasMetadata);
        return { type, streamId, flags, majorVersion, minorVersion, keepAlive, lifetime, resumeToken, metadataMimeType, dataMimeType, metadata, data };
      }
      case FRAME_TYPE.LEASE: {
        const ttl = this.u31();
        const requestCount = this.u31();
        const metadata = hasMetadata ? this.rest() : null;
        return { type, streamId, flags, ttl, requestCount, metadata };
      }
      case FRAME_TYPE.KEEPALIVE: {
        const lastReceivedPosition = this.position('last received position');
        return { type, streamId, flags, lastReceivedPosition, data: this.rest() };
      }
      case FRAME_TYPE.REQUEST_RESPONSE:
      case FRAME_TYPE.REQUEST_FNF:
      case FRAME_TYPE.PAYLOAD:
        return { type, streamId, flags, ...this.payload(hasMetadata) };
      case FRAME_TYPE.REQUEST_STREAM:
      case FRAME_TYPE.REQUEST_CHANNEL: {
        const requestN = this.requestN('initial request N');
        return { type, streamId, flags, requestN, ...this.payload(hasMetadata) };
      }
      case FRAME_TYPE.REQUEST_N:
        return { type, streamId, flags, requestN: this.requestN('request N') };
      case FRAME_TYPE.CANCEL:
        return { type, streamId, flags };
      case FRAME_TYPE.ERROR: {
        const code = this.u32();
        return { type, streamId, flags, code, message: this.rest().toString('utf8') };
      }
      case FRAME_TYPE.METADATA_PUSH:
        if (!hasMetadata) {
          throw new ProtocolError(PROTOCOL_ERROR_CODE.INVALID_FIELD, 'METADATA_PUSH must have the METADATA flag set');
        }
        return { type, streamId, flags, metadata: this.rest() };
      case FRAME_TYPE.RESUME: {
        const majorVersion = this.u16();
        const minorVersion = this.u16();
        const resumeToken = this.bytesOf(this.u16(), 'resume token');
        const lastReceivedServerPosition = this.position('last received server position');
        const firstAvailableClientPosition = this.position('first available client position');
        return { type, streamId, flags, majorVersion, minorVersion, resumeToken, lastReceivedServerPosition, firstAvailableClientPosition };
      }
      case FRAME_TYPE.RESUME_OK:
        return { type, streamId, flags, lastReceivedClientPosition: this.position('last received client position') };
      case FRAME_TYPE.EXT: {
        const extendedType = this.u31();
        return { type, streamId, flags, extendedType, ...this.payload(hasMetadata) };
      }
      default:
        throw new ProtocolError(PROTOCOL_ERROR_CODE.UNKNOWN_FRAME_TYPE, `unknown frame type ${nameFrameType(type)} on stream ${streamId}`);
    }
  }

  private need(count: number, field: string): void {
    if (this.at + count > this.end) {
      throw new ProtocolError(PROTOCOL_ERROR_CODE.FRAME_TRUNCATED, `frame ends inside its ${field}`);
    }
  }

  private u16(): number {
    this.need(2, 'fixed fields');
    const value = this.bytes.readUInt16BE(this.at);
    this.at += 2;
    return value;
  }

  private u31(): number {
    this.need(4, 'fixed fields');
    const value = readU31(this.bytes, this.at);
    this.at += 4;
    return value;
  }

  private u32(): number {
    this.need(4, 'fixed fields');
    const value = this.bytes.readUInt32BE(this.at);
    this.at += 4;
    return value;
  }

  private position(field: string): bigint {
    this.need(8, field);
    const value = this.bytes.readBigUInt64BE(this.at);
    this.at += 8;
    if (value >> 63n) {
      throw new ProtocolError(PROTOCOL_ERROR_CODE.INVALID_FIELD, `${field} has its reserved top bit set`);
    }
    return value;
  }

  private requestN(field: string): number {
    const value = this.u31();
    if (value === 0) {
      throw new ProtocolError(PROTOCOL_ERROR_CODE.INVALID_REQUEST_N, `${field} must be greater than 0`);
    }
    return value;
  }

  private bytesOf(length: number, field: string): Buffer {
    this.need(length, field);
    const view = this.bytes.subarray(this.at, this.at + length);
    this.at += length;
    return view;
  }

  private mimeType(field: string): string {
    this.need(1, field);
    const length = this.bytes[this.at++]!;
    const text = this.bytesOf(length, field).toString('latin1');
    if (!/^[\x20-\x7e]*$/.test(text)) {
      throw new ProtocolError(PROTOCOL_ERROR_CODE.INVALID_FIELD, `${field} is not printable US-ASCII`);
    }
    return text;
  }

  private rest(): Buffer {
    const view = this.bytes.subarray(this.at, this.end);
    this.at = this.end;
    return view;
  }

  private payload(hasMetadata: boolean): { metadata: Buffer | null; data: Buffer } {
    let metadata: Buffer | null = null;
    if (hasMetadata) {
      this.need(METADATA_LENGTH_SIZE, 'metadata length');
      const length = readU24(this.bytes, this.at);
      this.at += METADATA_LENGTH_SIZE;
      if (this.at + length > this.end) {
        throw new ProtocolError(
          PROTOCOL_ERROR_CODE.METADATA_LENGTH,
          `metadata length ${length} runs past the end of the frame (${this.end - this.at} bytes left)`,
        );
      }
      metadata = this.bytesOf(length, 'metadata');
    }
    return { metadata, data: this.rest() };
  }
}
