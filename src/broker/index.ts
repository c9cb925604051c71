/** The broker node: sessions, registry, router, and what it manages beside routing (balancing, limits, circuits, auth, admin API). */
export { Broker, DEFAULT_BROKER_OPTIONS } from './broker.js';
export type { BrokerEvent, BrokerOptions, BrokerSnapshot, BrokerStats, ConnectionSummary } from './broker.js';
export { AdminServer, type AdminServerOptions, type ClusterMember, type ClusterView } from './admin-server.js';
export { createToken, JwtAuthenticator, AUTH_ALGORITHMS, type AuthAlgorithm, type CreatedToken, type TokenSpec } from './auth.js';
export { LB_STRATEGY, type LbStrategy } from './balancer.js';
export { CIRCUIT_STATE, CIRCUIT_STATE_NAME, DEFAULT_CIRCUIT_BREAKER, type CircuitBreakerSettings, type CircuitSnapshot, type CircuitStateName } from './circuit-breaker.js';
export { BROKER_CONFIG_SCHEMA, loadBrokerConfig, readKeyFile, resolveNodeSettings, type NodeSettings, type StartFlags } from './config.js';
export { createBrokerMetrics } from './metrics.js';
export { DEFAULT_MANAGEMENT, type AppRule, type ManagementOptions, type ServiceRule } from './policy.js';
export type { RateLimit } from './rate-limiter.js';
export type { ServiceSummary } from './registry.js';
export type { InstanceSummary } from './service-instance.js';
export { parseClusterFile, readClusterFile, type ClusterDefinition } from './cluster-membership.js';
export type { Session } from './session.js';
export { OUTCOME_NAMES, REJECTION_NAMES, type OutcomeName, type RejectionName } from './traffic-stats.js';
