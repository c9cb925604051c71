import type { ClusterDefinition } from './cluster-membership.js';
import type { ServiceRegistry } from './registry.js';
import type { BrokerStats, RejectionName } from './traffic-stats.js';

/** The broker's figures at one moment: what `rsb.broker.health`, `/api/broker` and `rsb status` show. */
export interface BrokerSnapshot extends BrokerStats {
  id: string;
  host: string;
  port: number;
  uptimeMs: number;
  connections: number;
  services: number;
  instances: number;
  /** Instances whose circuit is open, and half-open. */
  openCircuits: number;
  halfOpenCircuits: number;
  /** REJECTED answers by reason. */
  rejections: Record<RejectionName, number>;
}

export interface ConnectionSummary {
  id: number;
  app: string;
  uuid: string;
  /** The token's subject, when the broker authenticates. */
  subject?: string;
  address: string;
  /** The listener it came in on: tcp, tcps, ws or wss. */
  transport: string;
  /** The subject of its verified TLS client certificate (mTLS), when it showed one. */
  tlsSubject?: string;
  connectedAt: string;
  /** Service keys it publishes. */
  services: string[];
  /** Its requests in flight, and requests it is serving. */
  requesting: number;
  serving: number;
}

/** What Prometheus metrics read of a broker when scraped. */
export interface MetricsSource {
  readonly id: string;
  readonly startedAt: number;
  readonly stats: Readonly<BrokerStats>;
  /** REJECTED answers by reason (REJECTION). */
  readonly rejections: ArrayLike<number>;
  readonly registry: Pick<ServiceRegistry, 'entries' | 'serviceCount' | 'instanceCount'>;
  snapshot(): BrokerSnapshot;
}

/** What the admin HTTP API reads of a broker. */
export interface AdminSource extends MetricsSource {
  readonly host: string;
  /** The port listened on. */
  readonly port: number;
  readonly isReady: boolean;
  /** Its id and the addresses it advertises to clients. */
  describeSelf(): { host: string; port: number; uris?: string[] };
  readonly registry: Pick<ServiceRegistry, 'entries' | 'serviceCount' | 'instanceCount' | 'list'>;
  readonly membership: { readonly cluster: ClusterDefinition | undefined };
  listConnections(): ConnectionSummary[];
}
