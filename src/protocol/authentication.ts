import { PROTOCOL_ERROR_CODE, ProtocolError } from './errors.js';

export const WELL_KNOWN_AUTH_TYPE = {
  simple: 0x00,
  bearer: 0x01,
} as const;

export type Authentication =
  | { type: 'simple'; username: string; password: string }
  | { type: 'bearer'; token: string }
  /** Any other auth type, by its custom name or unknown well-known id. */
  | { type: 'custom'; authType: string | number; payload: Buffer };

// Authentication metadata (Extensions/Security/Authentication.md):
//   | 1 u1 | well-known auth type id u7 | payload |
//   | 0 u1 | auth type length - 1 u7 | auth type (ASCII) | payload |
// simple payload: | username length u16 | username (UTF-8) | password (UTF-8) |
// bearer payload: | token (UTF-8) |
export function encodeAuthentication(auth: Authentication): Buffer {
  switch (auth.type) {
    case 'bearer':
      return Buffer.concat([Buffer.of(0x80 | WELL_KNOWN_AUTH_TYPE.bearer), Buffer.from(auth.token, 'utf8')]);
    case 'simple': {
      const username = Buffer.from(auth.username, 'utf8');
      if (username.length > 0xffff) {
        throw new ProtocolError(PROTOCOL_ERROR_CODE.AUTH_METADATA, `username of ${username.length} bytes exceeds the u16 limit`);
      }
      const head = Buffer.allocUnsafe(3);
      head[0] = 0x80 | WELL_KNOWN_AUTH_TYPE.simple;
      head.writeUInt16BE(username.length, 1);
      return Buffer.concat([head, username, Buffer.from(auth.password, 'utf8')]);
    }
    case 'custom': {
      if (typeof auth.authType === 'number') {
        if (!Number.isInteger(auth.authType) || auth.authType < 0 || auth.authType > 0x7f) {
          throw new ProtocolError(PROTOCOL_ERROR_CODE.AUTH_METADATA, `well-known auth type id must be 0-127, got ${auth.authType}`);
        }
        return Buffer.concat([Buffer.of(0x80 | auth.authType), auth.payload]);
      }
      if (auth.authType.length < 1 || auth.authType.length > 128 || !/^[\x20-\x7e]+$/.test(auth.authType)) {
        throw new ProtocolError(PROTOCOL_ERROR_CODE.AUTH_METADATA, 'custom auth type must be 1-128 printable ASCII characters');
      }
      return Buffer.concat([Buffer.of(auth.authType.length - 1), Buffer.from(auth.authType, 'ascii'), auth.payload]);
    }
  }
}

export function decodeAuthentication(metadata: Buffer): Authentication {
  if (metadata.length < 1) throw new ProtocolError(PROTOCOL_ERROR_CODE.AUTH_METADATA, 'authentication metadata is empty');
  const first = metadata[0]!;
  if (first & 0x80) {
    const id = first & 0x7f;
    if (id === WELL_KNOWN_AUTH_TYPE.bearer) return { type: 'bearer', token: metadata.toString('utf8', 1) };
    if (id === WELL_KNOWN_AUTH_TYPE.simple) {
      if (metadata.length < 3) throw new ProtocolError(PROTOCOL_ERROR_CODE.AUTH_METADATA, 'simple authentication ends inside its username length');
      const usernameEnd = 3 + metadata.readUInt16BE(1);
      if (usernameEnd > metadata.length) {
        throw new ProtocolError(PROTOCOL_ERROR_CODE.AUTH_METADATA, 'simple authentication username runs past the end of the metadata');
      }
      return { type: 'simple', username: metadata.toString('utf8', 3, usernameEnd), password: metadata.toString('utf8', usernameEnd) };
    }
    return { type: 'custom', authType: id, payload: metadata.subarray(1) };
  }
  const typeEnd = 1 + first + 1;
  if (typeEnd > metadata.length) throw new ProtocolError(PROTOCOL_ERROR_CODE.AUTH_METADATA, 'custom auth type runs past the end of the metadata');
  return { type: 'custom', authType: metadata.toString('latin1', 1, typeEnd), payload: metadata.subarray(typeEnd) };
}
