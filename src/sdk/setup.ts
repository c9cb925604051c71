import { randomUUID } from 'node:crypto';
import { UsageError } from '../errors.js';
import { encodeSetupMetadata, formatServiceKey, MIME, type AppInfo, type ServiceId } from '../protocol/index.js';
import type { SetupOptions } from '../transport/index.js';

/**
 * Who a connection says it is in SETUP (docs/wire.md, "SETUP metadata"): app info, the
 * services it answers and, when the broker wants one, a bearer token. Every SETUP the
 * SDK, `rsb call`, `rsb services` and `rsb mock` send is built from this, here.
 */
export interface Identity {
  app: AppInfo;
  /** The services this connection answers; empty for a pure requester. */
  services: ServiceId[];
  /** Sent as `message/x.rsocket.authentication.v0` bearer credentials. */
  token?: string | undefined;
  /** The connection's data MIME type; `application/octet-stream` when absent. */
  dataMimeType?: string | undefined;
}

/** Keepalive timing declared in SETUP. */
export interface KeepAliveTiming {
  keepAliveMs: number;
  /**
   * rsocket-js closes a connection that receives no KEEPALIVE for this long, whatever
   * other traffic flows (docs/sdk.md, rsocket-js defects): rsb's broker answers every
   * KEEPALIVE, and the interval is a fraction of the lifetime so that a few lost or late
   * answers never end a healthy connection.
   */
  lifetimeMs: number;
}

export const DEFAULT_KEEPALIVE_TIMING: KeepAliveTiming = { keepAliveMs: 5_000, lifetimeMs: 60_000 };

/** App info for `name`, with a fresh uuid unless one is given. */
export function describeApp(app: string | (Partial<AppInfo> & { name: string }) | undefined, fallbackName: string): AppInfo {
  if (app === undefined) return { name: fallbackName, uuid: randomUUID() };
  if (typeof app === 'string') return { name: app, uuid: randomUUID() };
  return { ...app, uuid: app.uuid ?? randomUUID() };
}

/** The composite SETUP metadata of an identity. */
export function encodeIdentity(identity: Identity): Buffer {
  return encodeSetupMetadata({
    app: identity.app,
    services: identity.services,
    authentication: identity.token ? { type: 'bearer', token: identity.token } : null,
  });
}

/** The same identity for rsb's lean endpoints (`PeerConnection`), as `rsb mock` connects. */
export function toPeerSetupOptions(identity: Identity, timing: KeepAliveTiming = DEFAULT_KEEPALIVE_TIMING): SetupOptions {
  return {
    app: identity.app,
    services: identity.services,
    authentication: identity.token ? { type: 'bearer', token: identity.token } : undefined,
    dataMimeType: identity.dataMimeType ?? MIME.OCTET_STREAM,
    metadataMimeType: MIME.COMPOSITE_METADATA,
    keepAliveMs: timing.keepAliveMs,
    lifetimeMs: timing.lifetimeMs,
  };
}

/** rsocket-js `RSocketConnector` setup options for an identity. */
export function buildConnectorSetup(identity: Identity, timing: KeepAliveTiming = DEFAULT_KEEPALIVE_TIMING) {
  return {
    keepAlive: timing.keepAliveMs,
    lifetime: timing.lifetimeMs,
    dataMimeType: identity.dataMimeType ?? MIME.OCTET_STREAM,
    // rsb's broker accepts composite metadata only: it forwards request bytes unchanged.
    metadataMimeType: MIME.COMPOSITE_METADATA,
    payload: { data: null, metadata: encodeIdentity(identity) },
  };
}

/** `svc`, `group!svc`, `svc:1.0`, `group!svc:1.0` → the published service (the inverse of formatServiceKey). */
export function parseServiceKey(key: string): ServiceId {
  const bang = key.indexOf('!');
  const group = bang >= 0 ? key.slice(0, bang) : '';
  const rest = key.slice(bang + 1);
  const colon = rest.indexOf(':');
  const service = colon >= 0 ? rest.slice(0, colon) : rest;
  const version = colon >= 0 ? rest.slice(colon + 1) : '';
  if (service === '') throw new UsageError(`service ${JSON.stringify(key)} has no name`, 'Name services like svc, group!svc or svc:1.0.');
  return { service, group, version };
}

export { formatServiceKey };
