/**
 * Well-known MIME types of the composite metadata extension
 * (Extensions/WellKnownMimeTypes.md): one byte instead of the string on the wire.
 */
export const WELL_KNOWN_MIME_TYPE = {
  'application/avro': 0x00,
  'application/cbor': 0x01,
  'application/graphql': 0x02,
  'application/gzip': 0x03,
  'application/javascript': 0x04,
  'application/json': 0x05,
  'application/octet-stream': 0x06,
  'application/pdf': 0x07,
  'application/vnd.apache.thrift.binary': 0x08,
  'application/vnd.google.protobuf': 0x09,
  'application/xml': 0x0a,
  'application/zip': 0x0b,
  'audio/aac': 0x0c,
  'audio/mp3': 0x0d,
  'audio/mp4': 0x0e,
  'audio/mpeg3': 0x0f,
  'audio/mpeg': 0x10,
  'audio/ogg': 0x11,
  'audio/opus': 0x12,
  'audio/vorbis': 0x13,
  'image/bmp': 0x14,
  'image/gif': 0x15,
  'image/heic-sequence': 0x16,
  'image/heic': 0x17,
  'image/heif-sequence': 0x18,
  'image/heif': 0x19,
  'image/jpeg': 0x1a,
  'image/png': 0x1b,
  'image/tiff': 0x1c,
  'multipart/mixed': 0x1d,
  'text/css': 0x1e,
  'text/csv': 0x1f,
  'text/html': 0x20,
  'text/plain': 0x21,
  'text/xml': 0x22,
  'video/H264': 0x23,
  'video/H265': 0x24,
  'video/VP8': 0x25,
  'application/x-hessian': 0x26,
  'application/x-java-object': 0x27,
  'application/cloudevents+json': 0x28,
  'message/x.rsocket.mime-type.v0': 0x7a,
  'message/x.rsocket.accept-mime-types.v0': 0x7b,
  'message/x.rsocket.authentication.v0': 0x7c,
  'message/x.rsocket.tracing-zipkin.v0': 0x7d,
  'message/x.rsocket.routing.v0': 0x7e,
  'message/x.rsocket.composite-metadata.v0': 0x7f,
} as const;

/**
 * Ids the Alibaba RSocket broker's SDK reserves for its own composite entries: it adds them
 * to its copy of the well-known table (alibaba-rsocket-core, io.rsocket.metadata.WellKnownMimeType),
 * outside the extension's list. rsb reads them so that Alibaba clients register and route
 * through it (docs/wire.md, "Alibaba clients"); it never sends them itself, so rsb's own
 * peers keep the standard ids.
 */
export const ALIBABA_MIME_ID = {
  /** int32 service id, int32 handler id, int32 flags, then the UTF-8 routing key. */
  BINARY_ROUTING: 0x50,
  APPLICATION: 0x51,
  DATA_CACHE_CONTROL: 0x53,
  SERVICE_REGISTRY: 0x54,
  MESSAGE_TAGS: 0x57,
  MESSAGE_ORIGIN: 0x58,
} as const;

const ALIBABA_MIME_TYPE: Record<number, string> = {
  [ALIBABA_MIME_ID.BINARY_ROUTING]: 'message/x.rsocket.binary-routing.v0',
  [ALIBABA_MIME_ID.APPLICATION]: 'message/x.rsocket.application+json',
  [ALIBABA_MIME_ID.DATA_CACHE_CONTROL]: 'message/x.rsocket.rsocket.data.cache-control',
  [ALIBABA_MIME_ID.SERVICE_REGISTRY]: 'message/x.rsocket.service.registry.v0+json',
  [ALIBABA_MIME_ID.MESSAGE_TAGS]: 'message/x.rsocket.message.tags',
  [ALIBABA_MIME_ID.MESSAGE_ORIGIN]: 'message/x.rsocket.message.origin',
};

const MIME_BY_ID = new Map<number, string>([
  ...Object.entries(ALIBABA_MIME_TYPE).map(([id, mime]): [number, string] => [Number(id), mime]),
  ...Object.entries(WELL_KNOWN_MIME_TYPE).map(([mime, id]): [number, string] => [id, mime]),
]);

/** The id rsb sends for a MIME type: the extension's table only (never an Alibaba id). */
export function lookupWellKnownMimeId(mimeType: string): number | undefined {
  return (WELL_KNOWN_MIME_TYPE as Record<string, number>)[mimeType];
}

/** The MIME type of an id received: the extension's table, and the ids Alibaba's SDK reserves. */
export function lookupWellKnownMimeType(id: number): string | undefined {
  return MIME_BY_ID.get(id);
}

/** MIME types rsb's wire contract uses by name (docs/wire.md). */
export const MIME = {
  COMPOSITE_METADATA: 'message/x.rsocket.composite-metadata.v0',
  ROUTING: 'message/x.rsocket.routing.v0',
  AUTHENTICATION: 'message/x.rsocket.authentication.v0',
  /** Per-stream data MIME type (Extensions/PerStreamDataMimeTypesDefinition.md). */
  DATA_MIME_TYPE: 'message/x.rsocket.mime-type.v0',
  APPLICATION_INFO: 'message/x.rsocket.application+json',
  SERVICE_REGISTRY: 'message/x.rsocket.service.registry.v0+json',
  /** Alibaba's binary routing entry (id 0x50), read for its routing key. */
  BINARY_ROUTING: 'message/x.rsocket.binary-routing.v0',
  CLOUDEVENTS_JSON: 'application/cloudevents+json',
  JSON: 'application/json',
  TEXT: 'text/plain',
  OCTET_STREAM: 'application/octet-stream',
} as const;
