/**
 * What rsb's brokers promise every client beyond RSocket itself: where they listen unless
 * told otherwise, and the routes they answer themselves. Clients (src/client, the SDK)
 * read these here, so that they need nothing of the broker's own code.
 */

/** The RSocket (TCP) port of `rsb start` when no --port is given. */
export const DEFAULT_BROKER_PORT = 9999;

/** The admin HTTP port (API and /metrics) of `rsb start` when no --admin-port is given. */
export const DEFAULT_ADMIN_PORT = 9998;

/** Routes answered by the broker itself: any RSocket client can ask them. */
export const BROKER_ROUTES = {
  SERVICES: 'rsb.broker.services',
  HEALTH: 'rsb.broker.health',
  /** The cluster's broker list as a `com.rsb.broker.list` CloudEvent (what the METADATA_PUSH carries). */
  CLUSTER: 'rsb.broker.cluster',
} as const;
