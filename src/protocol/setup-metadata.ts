import { decodeAuthentication, encodeAuthentication, type Authentication } from './authentication.js';
import { decodeCompositeMetadata, encodeCompositeMetadata, type CompositeEntryInput } from './composite-metadata.js';
import { FRAME_TYPE, PROTOCOL_MAJOR_VERSION, PROTOCOL_MINOR_VERSION } from './constants.js';
import type { SetupFrame } from './frames.js';
import { PROTOCOL_ERROR_CODE, ProtocolError } from './errors.js';
import { MIME } from './mime-types.js';
import type { ServiceId } from './routing.js';

/**
 * What a connecting program says about itself in its SETUP metadata, in the format the
 * Alibaba RSocket broker uses (docs/wire.md, "SETUP metadata"): composite entries for the
 * application, the services it publishes, and its credentials.
 */
export interface AppInfo {
  name: string;
  uuid: string;
  /** Free-form labels, e.g. a zone or a version. */
  metadata?: Record<string, string>;
  /** A relative weight for weighted balancing; 1 when absent. */
  weight?: number;
  [extra: string]: unknown;
}

export interface SetupDescription {
  app: AppInfo | null;
  /** The services this connection answers; empty for a pure requester. */
  services: ServiceId[];
  authentication: Authentication | null;
}

export function encodeSetupMetadata(description: Partial<SetupDescription>): Buffer {
  const entries: CompositeEntryInput[] = [];
  if (description.app) entries.push({ mimeType: MIME.APPLICATION_INFO, content: Buffer.from(JSON.stringify(description.app)) });
  if (description.services?.length) {
    entries.push({ mimeType: MIME.SERVICE_REGISTRY, content: Buffer.from(JSON.stringify({ published: description.services })) });
  }
  if (description.authentication) entries.push({ mimeType: MIME.AUTHENTICATION, content: encodeAuthentication(description.authentication) });
  return encodeCompositeMetadata(entries);
}

/** Reads app info, published services and credentials; a malformed entry throws a ProtocolError naming it. */
export function decodeSetupMetadata(metadata: Buffer | null): SetupDescription {
  const description: SetupDescription = { app: null, services: [], authentication: null };
  if (!metadata || metadata.length === 0) return description;
  for (const entry of decodeCompositeMetadata(metadata)) {
    if (entry.mimeType === MIME.APPLICATION_INFO) description.app = parseAppInfo(entry.content);
    else if (entry.mimeType === MIME.SERVICE_REGISTRY) description.services = parsePublishedServices(entry.content);
    else if (entry.mimeType === MIME.AUTHENTICATION) description.authentication = decodeAuthentication(entry.content);
  }
  return description;
}

function parseJson(content: Buffer, what: string): unknown {
  try {
    return JSON.parse(content.toString('utf8'));
  } catch (error) {
    throw new ProtocolError(PROTOCOL_ERROR_CODE.INVALID_FIELD, `${what} is not valid JSON`, { cause: error });
  }
}

function parseAppInfo(content: Buffer): AppInfo {
  const value = parseJson(content, MIME.APPLICATION_INFO);
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    throw new ProtocolError(PROTOCOL_ERROR_CODE.INVALID_FIELD, `${MIME.APPLICATION_INFO} must be a JSON object`);
  }
  const app = value as Record<string, unknown>;
  if (typeof app.name !== 'string' || app.name === '' || typeof app.uuid !== 'string' || app.uuid === '') {
    throw new ProtocolError(PROTOCOL_ERROR_CODE.INVALID_FIELD, `${MIME.APPLICATION_INFO} needs a non-empty "name" and "uuid"`);
  }
  if (app.weight !== undefined && (typeof app.weight !== 'number' || !(app.weight > 0))) {
    throw new ProtocolError(PROTOCOL_ERROR_CODE.INVALID_FIELD, `${MIME.APPLICATION_INFO} "weight" must be a positive number`);
  }
  return app as AppInfo;
}

function parsePublishedServices(content: Buffer): ServiceId[] {
  const value = parseJson(content, MIME.SERVICE_REGISTRY) as { published?: unknown };
  if (typeof value !== 'object' || value === null || !Array.isArray(value.published)) {
    throw new ProtocolError(PROTOCOL_ERROR_CODE.INVALID_FIELD, `${MIME.SERVICE_REGISTRY} must be {"published":[...]}`);
  }
  return value.published.map((item: unknown, index: number) => {
    const entry = item as Partial<ServiceId> | null;
    if (typeof entry !== 'object' || entry === null || typeof entry.service !== 'string' || entry.service === '') {
      throw new ProtocolError(PROTOCOL_ERROR_CODE.INVALID_FIELD, `${MIME.SERVICE_REGISTRY} published[${index}] needs a non-empty "service"`);
    }
    return { service: entry.service, group: typeof entry.group === 'string' ? entry.group : '', version: typeof entry.version === 'string' ? entry.version : '' };
  });
}

export const DEFAULT_KEEPALIVE_MS = 20_000;
export const DEFAULT_LIFETIME_MS = 90_000;

/**
 * A SETUP as rsb's peers send it: RSocket 1.0, composite metadata describing the program,
 * binary data. Any field can be overridden, which is how tests build the bad ones.
 */
export function createSetupFrame(description: Partial<SetupDescription> = {}, overrides: Partial<SetupFrame> = {}): SetupFrame {
  return {
    type: FRAME_TYPE.SETUP,
    streamId: 0,
    flags: 0,
    majorVersion: PROTOCOL_MAJOR_VERSION,
    minorVersion: PROTOCOL_MINOR_VERSION,
    keepAlive: DEFAULT_KEEPALIVE_MS,
    lifetime: DEFAULT_LIFETIME_MS,
    resumeToken: null,
    metadataMimeType: MIME.COMPOSITE_METADATA,
    dataMimeType: MIME.OCTET_STREAM,
    metadata: encodeSetupMetadata(description),
    data: Buffer.alloc(0),
    ...overrides,
  };
}
