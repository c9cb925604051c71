import type { AppInfo, BrokerListEntry, ServiceId, Transport } from '../protocol/index.js';

/** A connection as an event names it. */
export interface ConnectionInfo {
  readonly app: AppInfo;
  readonly remoteAddress: string;
  /** The listener's transport: tcp, tcps, ws or wss. */
  readonly transport: Transport;
  /** The subject of the client's verified TLS certificate (mTLS), when it showed one. */
  readonly tlsSubject?: string | undefined;
  /** What it publishes, from its SETUP. */
  readonly services: readonly ServiceId[];
}

/** What happens on a broker that its runner may show: connections coming and going, refusals, cluster changes. */
export type BrokerEvent =
  | { kind: 'session-ready'; session: ConnectionInfo }
  | { kind: 'session-closed'; session: ConnectionInfo; error?: Error }
  | { kind: 'setup-rejected' | 'connection-error' | 'peer-error'; session: ConnectionInfo; message: string; code?: number }
  | { kind: 'cluster-changed'; cluster: string; brokers: BrokerListEntry[] }
  /** A connection closed before it could carry frames: a failed or stalled TLS handshake, a refused or stalled WebSocket upgrade. */
  | { kind: 'handshake-failed'; transport: Transport; remoteAddress: string; message: string }
  /** A listener could not take connections (out of file descriptors); it goes on listening. */
  | { kind: 'accept-failed'; uri: string; message: string; count: number }
  | { kind: 'cluster-file-error'; path: string; message: string };

/** Hands an event to whoever runs the broker (the parts emit; the broker's owner shows or logs). */
export type EmitEvent = (event: BrokerEvent) => void;
