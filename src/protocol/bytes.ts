import { PROTOCOL_ERROR_CODE, ProtocolError } from './errors.js';

/** Big-endian field helpers shared by the encoder, the decoder and the hot-path readers. */

export function readU24(buf: Buffer, offset: number): number {
  return (buf[offset]! << 16) | (buf[offset + 1]! << 8) | buf[offset + 2]!;
}

export function writeU24(buf: Buffer, offset: number, value: number): void {
  buf[offset] = (value >>> 16) & 0xff;
  buf[offset + 1] = (value >>> 8) & 0xff;
  buf[offset + 2] = value & 0xff;
}

export function readU31(buf: Buffer, offset: number): number {
  return buf.readUInt32BE(offset) & 0x7fffffff;
}

/** Throws unless `value` is a whole number in [min, max]: the encoder's guard against writing a field that wraps. */
export function assertInRange(field: string, value: number, min: number, max: number): void {
  if (!Number.isInteger(value) || value < min || value > max) {
    throw new ProtocolError(PROTOCOL_ERROR_CODE.INVALID_FIELD, `${field} must be a whole number from ${min} to ${max}, got ${value}`);
  }
}

export function assertAscii(field: string, text: string, maxLength: number): void {
  if (text.length > maxLength || !/^[\x20-\x7e]*$/.test(text)) {
    throw new ProtocolError(
      PROTOCOL_ERROR_CODE.INVALID_FIELD,
      `${field} must be printable US-ASCII of at most ${maxLength} characters, got ${JSON.stringify(text.slice(0, 40))}`,
    );
  }
}
