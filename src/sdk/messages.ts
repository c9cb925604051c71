import type { Payload } from 'rsocket-core';
import {
  decodeCompositeMetadata,
  decodeDataMimeType,
  decodeRoutingTags,
  encodeCompositeMetadata,
  encodeDataMimeType,
  encodeRoutingTags,
  MIME,
  type CompositeEntryInput,
} from '../protocol/index.js';

/** Data as a caller or handler gives it. */
export type Data = Buffer | Uint8Array | string;

/** What a handler returns, or a channel requester sends: data alone, or data with metadata. */
export type Reply = Data | { data?: Data | null; metadata?: Buffer | null } | null | undefined | void;

/** A payload received: a response item, or a channel's inbound item. */
export interface Message {
  data: Buffer;
  /** The payload's metadata bytes, null when it had none. */
  metadata: Buffer | null;
}

/** What travels beside the route in a request's composite metadata. */
export interface RequestMetadataOptions {
  /**
   * Key/value pairs for the responder, sent as one composite entry of MIME
   * `application/json` holding a JSON object of strings (`rsb call --metadata key=value`).
   */
  headers?: Record<string, string> | undefined;
  /** Sent as a per-stream `message/x.rsocket.mime-type.v0` entry: the MIME type of this request's data. */
  dataMimeType?: string | undefined;
  /** Further composite entries, sent as given. */
  metadata?: CompositeEntryInput[] | undefined;
}

/** The MIME type of the composite entry carrying request headers. */
export const HEADERS_MIME = MIME.JSON;

const EMPTY = Buffer.alloc(0);
const ROUTE_METADATA_CACHE_LIMIT = 1_000;
const routeMetadataCache = new Map<string, Buffer>();

/** Composite metadata of a request: the routing entry first, then headers, data MIME and extra entries. */
export function encodeRequestMetadata(route: string, options: RequestMetadataOptions = {}): Buffer {
  const hasHeaders = options.headers !== undefined && Object.keys(options.headers).length > 0;
  if (!hasHeaders && !options.dataMimeType && !options.metadata?.length) {
    // The common case, a bare route, is encoded once per route.
    let cached = routeMetadataCache.get(route);
    if (!cached) {
      cached = encodeCompositeMetadata([{ mimeType: MIME.ROUTING, content: encodeRoutingTags([route]) }]);
      if (routeMetadataCache.size >= ROUTE_METADATA_CACHE_LIMIT) routeMetadataCache.clear();
      routeMetadataCache.set(route, cached);
    }
    return cached;
  }
  const entries: CompositeEntryInput[] = [{ mimeType: MIME.ROUTING, content: encodeRoutingTags([route]) }];
  if (hasHeaders) entries.push({ mimeType: HEADERS_MIME, content: Buffer.from(JSON.stringify(options.headers)) });
  if (options.dataMimeType) entries.push({ mimeType: MIME.DATA_MIME_TYPE, content: encodeDataMimeType(options.dataMimeType) });
  if (options.metadata) entries.push(...options.metadata);
  return encodeCompositeMetadata(entries);
}

/** What a responder reads from a request's composite metadata. */
export interface DecodedRequestMetadata {
  route: string | null;
  headers: Record<string, string>;
  dataMimeType: string | undefined;
}

/** Reads route, headers and data MIME type; a malformed entry throws a ProtocolError. */
export function decodeRequestMetadata(metadata: Buffer | null | undefined): DecodedRequestMetadata {
  const decoded: DecodedRequestMetadata = { route: null, headers: {}, dataMimeType: undefined };
  if (!metadata || metadata.length === 0) return decoded;
  for (const entry of decodeCompositeMetadata(metadata)) {
    if (entry.mimeType === MIME.ROUTING && decoded.route === null) decoded.route = decodeRoutingTags(entry.content)[0] ?? null;
    else if (entry.mimeType === HEADERS_MIME) decoded.headers = parseHeaders(entry.content);
    else if (entry.mimeType === MIME.DATA_MIME_TYPE) decoded.dataMimeType = decodeDataMimeType(entry.content);
  }
  return decoded;
}

function parseHeaders(content: Buffer): Record<string, string> {
  try {
    const value: unknown = JSON.parse(content.toString('utf8'));
    if (typeof value !== 'object' || value === null || Array.isArray(value)) return {};
    const headers: Record<string, string> = {};
    for (const [key, item] of Object.entries(value)) headers[key] = typeof item === 'string' ? item : JSON.stringify(item);
    return headers;
  } catch {
    // Headers are advisory: a requester's malformed JSON entry must not fail its request.
    return {};
  }
}

export function toBuffer(data: Data | null | undefined): Buffer {
  if (data === null || data === undefined) return EMPTY;
  if (typeof data === 'string') return Buffer.from(data, 'utf8');
  return Buffer.isBuffer(data) ? data : Buffer.from(data.buffer, data.byteOffset, data.byteLength);
}

/** A handler's reply (or a channel requester's item) as an rsocket-js payload. */
export function toPayload(reply: Reply, metadata?: Buffer): Payload {
  if (reply === null || reply === undefined) return metadata ? { data: EMPTY, metadata } : { data: EMPTY };
  if (typeof reply === 'string' || reply instanceof Uint8Array) {
    return metadata ? { data: toBuffer(reply), metadata } : { data: toBuffer(reply) };
  }
  const ownMetadata = reply.metadata ?? metadata;
  return ownMetadata ? { data: toBuffer(reply.data), metadata: ownMetadata } : { data: toBuffer(reply.data) };
}

/** An rsocket-js payload as a message: empty data is an empty buffer, absent metadata null. */
export function toMessage(payload: Payload): Message {
  return { data: payload.data ?? EMPTY, metadata: payload.metadata ?? null };
}
