import { readU24, writeU24 } from './bytes.js';
import { MAX_METADATA_LENGTH } from './constants.js';
import { PROTOCOL_ERROR_CODE, ProtocolError } from './errors.js';
import { lookupWellKnownMimeId, lookupWellKnownMimeType } from './mime-types.js';

export interface CompositeEntry {
  /** The MIME type as a string, also for well-known ids this codec has a name for. */
  mimeType: string;
  /** The well-known id when the entry used one (0x00-0x7f), else null. */
  mimeId: number | null;
  content: Buffer;
}

/** An entry to encode: MIME by name (sent as its well-known id when it has one) or by id. */
export interface CompositeEntryInput {
  mimeType: string | number;
  content: Buffer;
}

// Composite metadata entry (Extensions/CompositeMetadata.md):
//   | M u1 | MIME id u7 |                          when M is set (well-known MIME)
//   | 0 u1 | MIME length - 1 u7 | MIME (ASCII) |   otherwise
//   | content length u24 | content |
export function encodeCompositeMetadata(entries: readonly CompositeEntryInput[]): Buffer {
  const parts = entries.map(encodeEntryPrefix);
  const size = parts.reduce((sum, prefix, i) => sum + prefix.length + entries[i]!.content.length, 0);
  if (size > MAX_METADATA_LENGTH) {
    throw new ProtocolError(PROTOCOL_ERROR_CODE.METADATA_LENGTH, `composite metadata of ${size} bytes exceeds the u24 limit`);
  }
  const out = Buffer.allocUnsafe(size);
  let at = 0;
  entries.forEach((entry, i) => {
    at += parts[i]!.copy(out, at);
    at += entry.content.copy(out, at);
  });
  return out;
}

function encodeEntryPrefix(entry: CompositeEntryInput): Buffer {
  const id = typeof entry.mimeType === 'number' ? entry.mimeType : lookupWellKnownMimeId(entry.mimeType);
  if (entry.content.length > MAX_METADATA_LENGTH) {
    throw new ProtocolError(PROTOCOL_ERROR_CODE.METADATA_LENGTH, `composite entry of ${entry.content.length} bytes exceeds the u24 limit`);
  }
  if (id !== undefined) {
    if (!Number.isInteger(id) || id < 0 || id > 0x7f) {
      throw new ProtocolError(PROTOCOL_ERROR_CODE.COMPOSITE_METADATA, `well-known MIME id must be 0-127, got ${id}`);
    }
    const prefix = Buffer.allocUnsafe(4);
    prefix[0] = 0x80 | id;
    writeU24(prefix, 1, entry.content.length);
    return prefix;
  }
  const mime = entry.mimeType as string;
  if (mime.length < 1 || mime.length > 128 || !/^[\x20-\x7e]+$/.test(mime)) {
    throw new ProtocolError(PROTOCOL_ERROR_CODE.COMPOSITE_METADATA, `custom MIME type must be 1-128 printable ASCII characters, got ${JSON.stringify(mime)}`);
  }
  const prefix = Buffer.allocUnsafe(1 + mime.length + 3);
  prefix[0] = mime.length - 1;
  prefix.write(mime, 1, 'ascii');
  writeU24(prefix, 1 + mime.length, entry.content.length);
  return prefix;
}

/** Decodes every entry; contents are views into `metadata`. */
export function decodeCompositeMetadata(metadata: Buffer): CompositeEntry[] {
  const entries: CompositeEntry[] = [];
  let at = 0;
  while (at < metadata.length) {
    const mimeByte = metadata[at++]!;
    let mimeType: string;
    let mimeId: number | null = null;
    if (mimeByte & 0x80) {
      mimeId = mimeByte & 0x7f;
      mimeType = lookupWellKnownMimeType(mimeId) ?? `unknown-well-known/0x${mimeId.toString(16)}`;
    } else {
      const mimeLength = (mimeByte & 0x7f) + 1;
      if (at + mimeLength > metadata.length) throw overrun('MIME type');
      mimeType = metadata.toString('latin1', at, at + mimeLength);
      at += mimeLength;
    }
    if (at + 3 > metadata.length) throw overrun('entry length');
    const length = readU24(metadata, at);
    at += 3;
    if (at + length > metadata.length) throw overrun('entry content');
    entries.push({ mimeType, mimeId, content: metadata.subarray(at, at + length) });
    at += length;
  }
  return entries;
}

/** The content of the first entry with this MIME type, or undefined. */
export function findCompositeEntry(entries: readonly CompositeEntry[], mimeType: string): Buffer | undefined {
  return entries.find((entry) => entry.mimeType === mimeType)?.content;
}

function overrun(part: string): ProtocolError {
  return new ProtocolError(PROTOCOL_ERROR_CODE.COMPOSITE_METADATA, `composite metadata ${part} runs past the end of the metadata`);
}
