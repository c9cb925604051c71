/** The broker engine: sessions, registry, router, stream table, and what it manages beside routing (balancing, limits, circuits, auth, admin API). */
export { Broker, DEFAULT_BROKER_OPTIONS, type BrokerOptions } from './broker.js';
export { TLS_CLIENT_AUTH, type BoundListener, type BrokerTlsOptions, type ListenerSpec, type TlsClientAuth } from './listeners.js';
export type { BrokerEvent, ConnectionInfo } from './events.js';
export type { BrokerSnapshot, ConnectionSummary } from './readout.js';
export { AdminServer, type AdminServerOptions, type ClusterMember, type ClusterView } from './admin-server.js';
export { createToken, JwtAuthenticator, readKeyFile, AUTH_ALGORITHMS, type AuthAlgorithm, type CreatedToken, type TokenSpec } from './auth.js';
export { LB_STRATEGY, type LbStrategy } from './balancer.js';
export { CIRCUIT_STATE, CIRCUIT_STATE_NAME, DEFAULT_CIRCUIT_BREAKER, type CircuitBreakerSettings, type CircuitSnapshot, type CircuitStateName } from './circuit-breaker.js';
export { createBrokerMetrics } from './metrics.js';
export { DEFAULT_MANAGEMENT, type AppRule, type ManagementOptions, type ServiceRule } from './policy.js';
export type { RateLimit } from './rate-limiter.js';
export type { ServiceSummary } from './registry.js';
export type { InstanceSummary } from './service-instance.js';
export { parseClusterFile, readClusterFile, type ClusterDefinition } from './cluster-membership.js';
export type { Session } from './session.js';
export { BROKER_OUTCOMES, REJECTION_NAMES, type BrokerOutcomeName, type BrokerStats, type RejectionName } from './traffic-stats.js';
