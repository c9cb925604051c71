import { UsageError } from '../errors.js';

/** How a request crosses into RSocket, from its HTTP method and headers. */
export const GATEWAY_MODE = {
  REQUEST_RESPONSE: 'request-response',
  FIRE_AND_FORGET: 'fire-and-forget',
  /** Server-sent events: one `data:` event per item. */
  STREAM_SSE: 'stream-sse',
  /** Newline-delimited JSON: one line per item. */
  STREAM_NDJSON: 'stream-ndjson',
} as const;
export type GatewayMode = (typeof GATEWAY_MODE)[keyof typeof GATEWAY_MODE];

/** The header that asks for fire-and-forget (or a stream without an Accept header). */
export const MODE_HEADER = 'x-rsocket-mode';
/** Request headers `x-meta-KEY: value` travel as request metadata `{KEY: value}` (the SDK's headers entry). */
export const META_HEADER_PREFIX = 'x-meta-';

export interface GatewayRoute {
  /** `service.method`, or `group!service.method:version` when the path's service segment names a group or version. */
  route: string;
}

/**
 * `/{service}/{method}` → `service.method`. The service segment may carry the Alibaba
 * group and version, `/{group!service:version}/{method}` → `group!service.method:version`.
 * Anything else is a malformed path (400).
 */
export function parseGatewayPath(pathname: string): GatewayRoute {
  const segments = pathname.split('/').slice(1).map((segment) => {
    try {
      return decodeURIComponent(segment);
    } catch {
      throw new UsageError(`path ${JSON.stringify(pathname)} is not valid percent-encoding`);
    }
  });
  const [serviceSegment, method] = segments;
  if (segments.length !== 2 || !serviceSegment || !method || method.includes('.')) {
    throw new UsageError(`path ${JSON.stringify(pathname)} is not /{service}/{method}`, 'Call POST /svc/echo to reach route svc.echo.');
  }
  const match = /^(?:([^!]+)!)?([^!:]+)(?::(.+))?$/.exec(serviceSegment);
  if (!match) throw new UsageError(`service ${JSON.stringify(serviceSegment)} in the path is not service, group!service or service:version`);
  const [, group, service, version] = match;
  return { route: `${group ? `${group}!` : ''}${service}.${method}${version ? `:${version}` : ''}` };
}

/** The interaction model: fire-and-forget by header, streams by Accept (or the header), else request-response. */
export function chooseGatewayMode(headers: { accept?: string | undefined; mode?: string | undefined }): GatewayMode {
  const asked = headers.mode?.trim().toLowerCase();
  if (asked === 'fire-and-forget') return GATEWAY_MODE.FIRE_AND_FORGET;
  const accept = headers.accept?.toLowerCase() ?? '';
  if (accept.includes('text/event-stream')) return GATEWAY_MODE.STREAM_SSE;
  if (accept.includes('application/x-ndjson')) return GATEWAY_MODE.STREAM_NDJSON;
  if (asked === 'request-stream') return GATEWAY_MODE.STREAM_NDJSON;
  if (asked !== undefined && asked !== '' && asked !== 'request-response') {
    throw new UsageError(`${MODE_HEADER} ${JSON.stringify(headers.mode)} is not request-response, request-stream or fire-and-forget`);
  }
  return GATEWAY_MODE.REQUEST_RESPONSE;
}

/** `x-meta-tenant: acme` → `{ tenant: 'acme' }`. */
export function collectMetaHeaders(headers: Record<string, string | string[] | undefined>): Record<string, string> {
  const meta: Record<string, string> = {};
  for (const [name, value] of Object.entries(headers)) {
    if (name.startsWith(META_HEADER_PREFIX) && value !== undefined) meta[name.slice(META_HEADER_PREFIX.length)] = Array.isArray(value) ? value.join(', ') : value;
  }
  return meta;
}

/** A GET's query as request data: a JSON object of its parameters (repeated ones as arrays). */
export function encodeQueryAsJson(search: URLSearchParams): Buffer {
  const object: Record<string, string | string[]> = {};
  for (const key of new Set(search.keys())) {
    const values = search.getAll(key);
    object[key] = values.length === 1 ? values[0]! : values;
  }
  return Buffer.from(JSON.stringify(object));
}

/** One stream item as an ndjson line: JSON items as they are (on one line), anything else as a JSON string. */
export function formatNdjsonLine(data: Buffer): string {
  const text = data.toString('utf8');
  try {
    return `${JSON.stringify(JSON.parse(text))}\n`;
  } catch {
    return `${JSON.stringify(text)}\n`;
  }
}

/** One stream item as a server-sent event; a multi-line item spans several `data:` lines. */
export function formatSseEvent(data: Buffer, event?: string): string {
  const lines = data.toString('utf8').split(/\r?\n/);
  return `${event ? `event: ${event}\n` : ''}${lines.map((line) => `data: ${line}`).join('\n')}\n\n`;
}
