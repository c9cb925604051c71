import { PROTOCOL_ERROR_CODE, ProtocolError } from './errors.js';

// Routing metadata (Extensions/Routing.md), repeated:
//   | tag length u8 | tag (UTF-8) |
export function encodeRoutingTags(tags: readonly string[]): Buffer {
  const encoded = tags.map((tag) => Buffer.from(tag, 'utf8'));
  const out = Buffer.allocUnsafe(encoded.reduce((sum, tag) => sum + 1 + tag.length, 0));
  let at = 0;
  for (const tag of encoded) {
    if (tag.length < 1 || tag.length > 0xff) {
      throw new ProtocolError(PROTOCOL_ERROR_CODE.ROUTING_METADATA, `a routing tag must be 1-255 bytes of UTF-8, got ${tag.length}`);
    }
    out[at++] = tag.length;
    at += tag.copy(out, at);
  }
  return out;
}

export function decodeRoutingTags(metadata: Buffer): string[] {
  const tags: string[] = [];
  let at = 0;
  while (at < metadata.length) {
    const end = at + 1 + metadata[at]!;
    if (end > metadata.length) {
      throw new ProtocolError(PROTOCOL_ERROR_CODE.ROUTING_METADATA, 'routing tag length runs past the end of the routing metadata');
    }
    tags.push(metadata.toString('utf8', at + 1, end));
    at = end;
  }
  return tags;
}

/** A service as it is published and addressed: the Alibaba broker's group, name and version. */
export interface ServiceId {
  service: string;
  group: string;
  version: string;
}

export interface Route extends ServiceId {
  /** The route as sent. */
  route: string;
  method: string;
  /** The registry key of the service the route addresses (see `formatServiceKey`). */
  serviceKey: string;
}

/**
 * Parses a route `service.method`, or the Alibaba form `group!service.method:version`
 * (group and version optional). The service is everything before the last dot.
 */
export function parseRoute(route: string): Route {
  const bang = route.indexOf('!');
  const group = bang >= 0 ? route.slice(0, bang) : '';
  const colon = route.indexOf(':', bang + 1);
  const version = colon >= 0 ? route.slice(colon + 1) : '';
  const path = route.slice(bang + 1, colon >= 0 ? colon : route.length);
  const dot = path.lastIndexOf('.');
  if (dot <= 0 || dot === path.length - 1) {
    throw new ProtocolError(
      PROTOCOL_ERROR_CODE.ROUTING_METADATA,
      `route ${JSON.stringify(route)} is not of the form service.method (or group!service.method:version)`,
    );
  }
  const service = path.slice(0, dot);
  return { route, service, method: path.slice(dot + 1), group, version, serviceKey: formatServiceKey({ service, group, version }) };
}

/** `svc`, `group!svc`, `svc:1.0` or `group!svc:1.0`: one key per published service identity. */
export function formatServiceKey({ service, group, version }: ServiceId): string {
  return `${group ? `${group}!` : ''}${service}${version ? `:${version}` : ''}`;
}
