/** The broker node: sessions, registry, router. */
export { Broker, BROKER_ROUTES, DEFAULT_BROKER_OPTIONS, DEFAULT_BROKER_PORT } from './broker.js';
export type { BrokerEvent, BrokerOptions, BrokerSnapshot, BrokerStats } from './broker.js';
export type { ServiceSummary } from './registry.js';
export { parseClusterFile, readClusterFile, type ClusterDefinition } from './cluster-membership.js';
export type { Session } from './session.js';
