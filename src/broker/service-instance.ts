import type { CircuitBreaker, CircuitSnapshot } from './circuit-breaker.js';
import type { StreamEnd } from './stream-link.js';
import type { LatencyHistogram } from './traffic-stats.js';

/** The connection an instance lives on: where its requests go, and what the admin API shows of it. */
export interface InstanceConnection extends StreamEnd {
  readonly connectedAt: number;
}

/** The service an instance belongs to (its ServiceInstances entry in the registry), as the instance and its streams see it. */
export interface InstanceService {
  readonly key: string;
  readonly policy: { readonly requestTimeoutMs: number };
  readonly latency: LatencyHistogram;
  remove(instance: ServiceInstance): void;
}

/**
 * One connection answering one service: what the balancer chooses between. Holds its
 * requests in flight and its circuit breaker; both change per request, so they are
 * plain fields read and written in place.
 */
export class ServiceInstance {
  inFlight = 0;
  /** Requests forwarded to it since it registered. */
  forwarded = 0;
  /** Relative share for weighted balancing, from the app info (`{"weight": 3}`). */
  readonly weight: number;

  constructor(
    readonly session: InstanceConnection,
    readonly service: InstanceService,
    readonly breaker: CircuitBreaker | null,
    private readonly maxInFlight: number,
  ) {
    this.weight = session.app.weight ?? 1;
  }

  /** May take a request now: under its in-flight cap, and its circuit not open. */
  get isAvailable(): boolean {
    return this.inFlight < this.maxInFlight && (this.breaker === null || this.breaker.isAdmitting);
  }

  get isAtCap(): boolean {
    return this.inFlight >= this.maxInFlight;
  }

  describe(now: number): InstanceSummary {
    const session = this.session;
    return {
      app: session.app.name,
      uuid: session.app.uuid,
      address: session.remoteAddress,
      weight: this.weight,
      inFlight: this.inFlight,
      forwarded: this.forwarded,
      connectedAt: new Date(session.connectedAt).toISOString(),
      ...(this.breaker ? { circuit: this.breaker.snapshot(now) } : {}),
    };
  }
}

export interface InstanceSummary {
  app: string;
  uuid: string;
  address: string;
  weight: number;
  inFlight: number;
  forwarded: number;
  connectedAt: string;
  /** Present when the service has circuit breaking on. */
  circuit?: CircuitSnapshot;
}
