import { formatServiceKey, type ServiceId } from '../protocol/index.js';
import { createBalancer, type Balancer, type LbStrategy } from './balancer.js';
import { CIRCUIT_STATE, CircuitBreaker } from './circuit-breaker.js';
import type { ServicePolicy } from './policy.js';
import { TokenBucket, type RateLimit } from './rate-limiter.js';
import { ServiceInstance, type InstanceConnection, type InstanceSummary } from './service-instance.js';
import { LatencyHistogram, MAX_METHODS_PER_SERVICE, MethodStats, OTHER_METHODS, REJECTION, type BrokerOutcomeName, type Rejection } from './traffic-stats.js';

/** A connection as the registry sees it: it publishes services, and keeps the instances it answers for. */
export interface PublishingConnection extends InstanceConnection {
  /** One per service it publishes, once registered. */
  readonly instances: ServiceInstance[];
}

/**
 * The instances of one service key, with what the broker keeps per service: its policy,
 * balancer, rate limit bucket and traffic counts. Kept even when empty, so that the
 * router can cache a route's entry and never look the key up again.
 */
export class ServiceInstances {
  readonly instances: ServiceInstance[] = [];
  readonly balancer: Balancer;
  /** The service's token bucket, or null when it has no rate limit. */
  readonly limit: TokenBucket | null;
  readonly methods = new Map<string, MethodStats>();
  readonly latency = new LatencyHistogram();

  constructor(
    readonly key: string,
    readonly id: ServiceId,
    readonly policy: ServicePolicy,
    now: number,
  ) {
    this.balancer = createBalancer(policy.loadBalancing);
    this.limit = policy.rateLimit ? new TokenBucket(policy.rateLimit, `service ${key}`, now) : null;
  }

  pick(): ServiceInstance | undefined {
    return this.balancer.pick(this.instances);
  }

  add(session: InstanceConnection, now: number): ServiceInstance {
    const breaker = this.policy.circuitBreaker ? new CircuitBreaker(this.policy.circuitBreaker, now) : null;
    const instance = new ServiceInstance(session, this, breaker, this.policy.maxInFlightPerInstance);
    this.instances.push(instance);
    this.balancer.update(this.instances);
    return instance;
  }

  remove(instance: ServiceInstance): void {
    const index = this.instances.indexOf(instance);
    if (index < 0) return;
    this.instances.splice(index, 1);
    this.balancer.update(this.instances);
  }

  /** The counters of one method; methods past the bound share one entry. */
  methodStats(method: string): MethodStats {
    let stats = this.methods.get(method);
    if (stats === undefined) {
      if (this.methods.size >= MAX_METHODS_PER_SERVICE) return this.methodStats(OTHER_METHODS);
      stats = new MethodStats(method);
      this.methods.set(method, stats);
    }
    return stats;
  }

  /** Why no instance could take a request, in words that name the cause. */
  explainNoInstance(broker: string, now: number): { reason: Rejection; message: string } {
    const count = this.instances.length;
    if (count === 0) return { reason: REJECTION.NO_INSTANCE, message: `no instance of service ${this.key} is registered on broker ${broker}` };
    let open = 0;
    let atCap = 0;
    let halfOpensIn = Infinity;
    for (const instance of this.instances) {
      if (instance.breaker !== null && !instance.breaker.isAdmitting) {
        open++;
        if (instance.breaker.state === CIRCUIT_STATE.OPEN) halfOpensIn = Math.min(halfOpensIn, instance.breaker.halfOpensIn(now));
      } else if (instance.isAtCap) atCap++;
    }
    const instances = `${count} instance${count === 1 ? '' : 's'}`;
    if (open === count) {
      const retry = halfOpensIn === Infinity ? 'its probes are under way' : `the first probe is due in ${Math.ceil(halfOpensIn / 1000)} s`;
      return { reason: REJECTION.CIRCUIT_OPEN, message: `circuit open for service ${this.key}: all ${instances} failing, ${retry}` };
    }
    const cap = `the per-instance cap of ${this.policy.maxInFlightPerInstance} requests in flight`;
    if (open === 0) return { reason: REJECTION.IN_FLIGHT_CAP, message: `every instance of service ${this.key} (${instances}) is at ${cap}` };
    return {
      reason: REJECTION.IN_FLIGHT_CAP,
      message: `no instance of service ${this.key} can take the request: circuit open for ${open} of ${instances}, the others at ${cap}`,
    };
  }
}

export interface ServiceSummary extends ServiceId {
  key: string;
  loadBalancing: LbStrategy;
  rateLimit?: RateLimit & { refused: number };
  /** Requests by outcome, over all methods. */
  requests: Record<BrokerOutcomeName, number>;
  methods: Record<string, Record<BrokerOutcomeName, number>>;
  /** Broker-side latency of request-response calls, bucket upper bounds in microseconds. */
  latency: { count: number; p50Us: number; p99Us: number };
  instances: InstanceSummary[];
}

/** Which connection answers which service: filled from SETUP, emptied when a connection closes. */
export class ServiceRegistry {
  private readonly byKey = new Map<string, ServiceInstances>();

  constructor(
    private readonly resolvePolicy: (serviceKey: string) => ServicePolicy,
    /** The broker's clock, in milliseconds. */
    private readonly now: () => number,
  ) {}

  /** The entry for a key, created empty if needed. */
  entry(key: string, id: ServiceId): ServiceInstances {
    let entry = this.byKey.get(key);
    if (!entry) {
      entry = new ServiceInstances(key, id, this.resolvePolicy(key), this.now());
      this.byKey.set(key, entry);
    }
    return entry;
  }

  get entries(): IterableIterator<ServiceInstances> {
    return this.byKey.values();
  }

  /** Adds an instance per service the connection publishes (once per key). */
  register(session: PublishingConnection, services: readonly ServiceId[]): void {
    for (const id of services) {
      const entry = this.entry(formatServiceKey(id), id);
      if (session.instances.some((instance) => instance.service === entry)) continue;
      session.instances.push(entry.add(session, this.now()));
    }
  }

  unregister(session: PublishingConnection): void {
    for (const instance of session.instances) instance.service.remove(instance);
  }

  /** Services that have at least one instance. */
  get serviceCount(): number {
    let count = 0;
    for (const entry of this.byKey.values()) if (entry.instances.length > 0) count++;
    return count;
  }

  get instanceCount(): number {
    let count = 0;
    for (const entry of this.byKey.values()) count += entry.instances.length;
    return count;
  }

  /** Services with instances by key; with `isIncludingIdle`, also those without instances that requests were sent to. */
  list(options: { isIncludingIdle?: boolean } = {}): ServiceSummary[] {
    const now = this.now();
    return [...this.byKey.values()]
      .filter((entry) => entry.instances.length > 0 || (options.isIncludingIdle === true && entry.methods.size > 0))
      .sort((a, b) => a.key.localeCompare(b.key))
      .map((entry) => {
        const methods = Object.fromEntries([...entry.methods.values()].map((stats) => [stats.method, stats.toJSON()]));
        const requests = sumOutcomes(Object.values(methods));
        return {
          key: entry.key,
          ...entry.id,
          loadBalancing: entry.policy.loadBalancing,
          ...(entry.limit ? { rateLimit: { ...entry.limit.limit, refused: entry.limit.refused } } : {}),
          requests,
          methods,
          latency: { count: entry.latency.count, p50Us: entry.latency.percentileMicros(0.5), p99Us: entry.latency.percentileMicros(0.99) },
          instances: entry.instances.map((instance) => instance.describe(now)),
        };
      });
  }
}

function sumOutcomes(counts: Record<BrokerOutcomeName, number>[]): Record<BrokerOutcomeName, number> {
  const total = new MethodStats('').toJSON();
  for (const count of counts) for (const name of Object.keys(total) as BrokerOutcomeName[]) total[name] += count[name];
  return total;
}
