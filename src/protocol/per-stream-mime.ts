import { PROTOCOL_ERROR_CODE, ProtocolError } from './errors.js';
import { lookupWellKnownMimeId, lookupWellKnownMimeType } from './mime-types.js';

// Per-stream data MIME type (Extensions/PerStreamDataMimeTypesDefinition.md), the content
// of a `message/x.rsocket.mime-type.v0` composite entry:
//   | 1 u1 | well-known MIME id u7 |                    a well-known type
//   | 0 u1 | MIME length - 1 u7 | MIME (US-ASCII) |     any other type
export function encodeDataMimeType(mimeType: string): Buffer {
  const id = lookupWellKnownMimeId(mimeType);
  if (id !== undefined) return Buffer.of(0x80 | id);
  if (mimeType.length < 1 || mimeType.length > 128 || !/^[\x20-\x7e]+$/.test(mimeType)) {
    throw new ProtocolError(PROTOCOL_ERROR_CODE.INVALID_FIELD, `a MIME type must be 1-128 printable ASCII characters, got ${JSON.stringify(mimeType)}`);
  }
  const out = Buffer.allocUnsafe(1 + mimeType.length);
  out[0] = mimeType.length - 1;
  out.write(mimeType, 1, 'ascii');
  return out;
}

export function decodeDataMimeType(content: Buffer): string {
  if (content.length === 0) throw new ProtocolError(PROTOCOL_ERROR_CODE.INVALID_FIELD, 'a per-stream MIME type entry is empty');
  const first = content[0]!;
  if (first & 0x80) return lookupWellKnownMimeType(first & 0x7f) ?? `unknown-well-known/0x${(first & 0x7f).toString(16)}`;
  const end = 1 + (first & 0x7f) + 1;
  if (end > content.length) throw new ProtocolError(PROTOCOL_ERROR_CODE.INVALID_FIELD, 'a per-stream MIME type runs past the end of its entry');
  return content.toString('latin1', 1, end);
}
