import { LB_STRATEGY, type LbStrategy } from './balancer.js';
import { DEFAULT_CIRCUIT_BREAKER, type CircuitBreakerSettings } from './circuit-breaker.js';
import { findRule } from './glob.js';
import type { RateLimit } from './rate-limiter.js';

/** Settings of one service, or of every service matching a glob; unset fields take the broker-wide value. */
export interface ServiceRule {
  loadBalancing?: LbStrategy;
  rateLimit?: RateLimit;
  maxInFlightPerInstance?: number;
  requestTimeoutMs?: number;
  circuitBreaker?: Partial<CircuitBreakerSettings>;
}

export interface AppRule {
  rateLimit?: RateLimit;
}

/** What the broker does beside routing: balancing, shaping, circuit breaking. Config file and flags resolve to this. */
export interface ManagementOptions {
  loadBalancing: LbStrategy;
  /** Requests in flight per instance above which it is passed over (Infinity: no cap). */
  maxInFlightPerInstance: number;
  /** Request-response calls unanswered this long end with an error and count as failures (0: no timeout). */
  requestTimeoutMs: number;
  /** Circuit breaking for every service, or null when off. */
  circuitBreaker: CircuitBreakerSettings | null;
  /** By service key or glob, in the order written. */
  services: ReadonlyMap<string, ServiceRule>;
  /** By app name or glob, in the order written. */
  apps: ReadonlyMap<string, AppRule>;
}

export const DEFAULT_MANAGEMENT: ManagementOptions = {
  loadBalancing: LB_STRATEGY.ROUND_ROBIN,
  maxInFlightPerInstance: Infinity,
  requestTimeoutMs: 0,
  circuitBreaker: null,
  services: new Map(),
  apps: new Map(),
};

/** The settings one service runs with, fixed when the broker first sees the service. */
export interface ServicePolicy {
  loadBalancing: LbStrategy;
  rateLimit: RateLimit | undefined;
  maxInFlightPerInstance: number;
  requestTimeoutMs: number;
  circuitBreaker: CircuitBreakerSettings | null;
}

export function resolveServicePolicy(options: ManagementOptions, serviceKey: string): ServicePolicy {
  const rule = findRule(options.services, serviceKey) ?? {};
  return {
    loadBalancing: rule.loadBalancing ?? options.loadBalancing,
    rateLimit: rule.rateLimit,
    maxInFlightPerInstance: rule.maxInFlightPerInstance ?? options.maxInFlightPerInstance,
    requestTimeoutMs: rule.requestTimeoutMs ?? options.requestTimeoutMs,
    // A service rule with circuit-breaker settings turns breaking on for that service even when it is off broker-wide.
    circuitBreaker:
      options.circuitBreaker || rule.circuitBreaker ? { ...DEFAULT_CIRCUIT_BREAKER, ...options.circuitBreaker, ...rule.circuitBreaker } : null,
  };
}

export function listAppRateLimits(options: ManagementOptions): Map<string, RateLimit | undefined> {
  return new Map([...options.apps].filter(([, rule]) => rule.rateLimit).map(([pattern, rule]) => [pattern, rule.rateLimit]));
}
