/**
 * What the broker counts per request, kept in plain numbers and typed arrays: adding to
 * them is all the data path does. Prometheus text (metrics.ts) and the admin API read
 * them when asked, never the other way round.
 */

/** How a request ended, as counted in `rsb_requests_total{outcome}`. */
export const OUTCOME = {
  /** Answered (or, fire-and-forget, delivered). */
  OK: 0,
  /** The instance answered with an ERROR frame. */
  ERROR: 1,
  /** The broker refused it: no instance, a limit, an open circuit, not allowed. */
  REJECTED: 2,
  /** The requester cancelled it, or left. */
  CANCELLED: 3,
  /** No answer within the request timeout. */
  TIMEOUT: 4,
  /** The instance's connection ended mid-request. */
  DISCONNECTED: 5,
} as const;
export type Outcome = (typeof OUTCOME)[keyof typeof OUTCOME];
export const OUTCOME_NAMES = ['ok', 'error', 'rejected', 'cancelled', 'timeout', 'disconnected'] as const;
export type OutcomeName = (typeof OUTCOME_NAMES)[number];

/** Why the broker answered REJECTED, as counted in `rsb_rejections_total{reason}`. */
export const REJECTION = {
  NO_ROUTE: 0,
  INVALID_ROUTE: 1,
  NO_INSTANCE: 2,
  SERVICE_RATE_LIMIT: 3,
  APP_RATE_LIMIT: 4,
  IN_FLIGHT_CAP: 5,
  CIRCUIT_OPEN: 6,
  NOT_ALLOWED: 7,
  UNSUPPORTED: 8,
} as const;
export type Rejection = (typeof REJECTION)[keyof typeof REJECTION];
export const REJECTION_NAMES = [
  'no_route',
  'invalid_route',
  'no_instance',
  'service_rate_limit',
  'app_rate_limit',
  'in_flight_cap',
  'circuit_open',
  'not_allowed',
  'unsupported',
] as const;
export type RejectionName = (typeof REJECTION_NAMES)[number];

/** Requests to one method of one service, by outcome. */
export class MethodStats {
  readonly outcomes = new Float64Array(OUTCOME_NAMES.length);

  constructor(readonly method: string) {}

  get total(): number {
    let total = 0;
    for (const count of this.outcomes) total += count;
    return total;
  }

  toJSON(): Record<OutcomeName, number> {
    return Object.fromEntries(OUTCOME_NAMES.map((name, index) => [name, this.outcomes[index]!])) as Record<OutcomeName, number>;
  }
}

/** Distinct methods counted per service; past it, methods are counted together (bounds metric labels). */
export const MAX_METHODS_PER_SERVICE = 1_000;
export const OTHER_METHODS = '_other';

/**
 * Broker-side latency of request-response calls to one service, from the request's
 * arrival to the answer's, in power-of-two buckets of microseconds: bucket i holds
 * latencies below 2^i µs. Recording is a subtraction, a count-leading-zeros and an
 * increment, so every request is counted rather than a sample.
 */
export class LatencyHistogram {
  static readonly FIRST_BUCKET = 4; // < 16 µs
  static readonly LAST_BUCKET = 25; // < 33.5 s; slower goes to +Inf only
  readonly buckets = new Float64Array(LatencyHistogram.LAST_BUCKET + 1);
  count = 0;
  sumMicros = 0;

  record(micros: number): void {
    const us = micros < 0 ? 0 : micros | 0;
    let bucket = 32 - Math.clz32(us);
    if (bucket < LatencyHistogram.FIRST_BUCKET) bucket = LatencyHistogram.FIRST_BUCKET;
    if (bucket <= LatencyHistogram.LAST_BUCKET) this.buckets[bucket]!++;
    this.count++;
    this.sumMicros += us;
  }

  /** Upper bounds in seconds with cumulative counts, as a Prometheus histogram has them. */
  cumulative(): { le: number; count: number }[] {
    const out: { le: number; count: number }[] = [];
    let running = 0;
    for (let bucket = LatencyHistogram.FIRST_BUCKET; bucket <= LatencyHistogram.LAST_BUCKET; bucket++) {
      running += this.buckets[bucket]!;
      out.push({ le: 2 ** bucket / 1e6, count: running });
    }
    return out;
  }

  /** The latency below which `fraction` of the recorded ones fall, in microseconds (a bucket's upper bound). */
  percentileMicros(fraction: number): number {
    if (this.count === 0) return 0;
    const wanted = fraction * this.count;
    let running = 0;
    for (let bucket = LatencyHistogram.FIRST_BUCKET; bucket <= LatencyHistogram.LAST_BUCKET; bucket++) {
      running += this.buckets[bucket]!;
      if (running >= wanted) return 2 ** bucket;
    }
    return Infinity;
  }
}
