import type { AppInfo, BrokerListEntry, ServiceId } from '../protocol/index.js';

/** A connection as an event names it. */
export interface ConnectionInfo {
  readonly app: AppInfo;
  readonly remoteAddress: string;
  /** What it publishes, from its SETUP. */
  readonly services: readonly ServiceId[];
}

/** What happens on a broker that its runner may show: connections coming and going, refusals, cluster changes. */
export type BrokerEvent =
  | { kind: 'session-ready'; session: ConnectionInfo }
  | { kind: 'session-closed'; session: ConnectionInfo; error?: Error }
  | { kind: 'setup-rejected' | 'connection-error' | 'peer-error'; session: ConnectionInfo; message: string; code?: number }
  | { kind: 'cluster-changed'; cluster: string; brokers: BrokerListEntry[] }
  | { kind: 'cluster-file-error'; path: string; message: string };

/** Hands an event to whoever runs the broker (the parts emit; the broker's owner shows or logs). */
export type EmitEvent = (event: BrokerEvent) => void;
