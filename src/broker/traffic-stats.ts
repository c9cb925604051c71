import { OUTCOME, OUTCOME_COUNT, type Outcome } from '../protocol/index.js';

/**
 * What the broker counts per request, kept in plain numbers and typed arrays: adding to
 * them is all the data path does. Prometheus text (metrics.ts) and the admin API read
 * them when asked, never the other way round.
 */

/**
 * The outcomes (src/protocol/outcome.ts) the broker tells apart, in the order and with the
 * names that `rsb_requests_total{outcome}` and the admin API show.
 */
export const BROKER_OUTCOMES = {
  ok: OUTCOME.OK,
  error: OUTCOME.ERROR,
  rejected: OUTCOME.REJECTED,
  /** The requester cancelled it, or left. */
  cancelled: OUTCOME.CANCELED,
  timeout: OUTCOME.TIMEOUT,
  /** The instance's connection ended mid-request. */
  disconnected: OUTCOME.CONNECTION_LOST,
} as const;
export type BrokerOutcomeName = keyof typeof BROKER_OUTCOMES;
const BROKER_OUTCOME_ENTRIES = Object.entries(BROKER_OUTCOMES) as [BrokerOutcomeName, Outcome][];

/** What the broker counts of its connections and traffic, as running totals. */
export interface BrokerStats {
  connectionsAccepted: number;
  /** Connections turned away at the connection limit. */
  connectionsRefused: number;
  requestsRouted: number;
  requestsRejected: number;
  /** Requests the broker answered itself (rsb.broker.* routes). */
  requestsAnswered: number;
  framesForwarded: number;
  bytesForwarded: number;
  /** Connections refused at SETUP (bad credentials included). */
  setupsRejected: number;
}

export function createBrokerStats(): BrokerStats {
  return {
    connectionsAccepted: 0,
    connectionsRefused: 0,
    requestsRouted: 0,
    requestsRejected: 0,
    requestsAnswered: 0,
    framesForwarded: 0,
    bytesForwarded: 0,
    setupsRejected: 0,
  };
}

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

/** Requests to one method of one service, by outcome (indexed by OUTCOME). */
export class MethodStats {
  readonly outcomes = new Float64Array(OUTCOME_COUNT);

  constructor(readonly method: string) {}

  get total(): number {
    let total = 0;
    for (const count of this.outcomes) total += count;
    return total;
  }

  /** Counts by the names the broker shows, every one of them, zeros included. */
  toJSON(): Record<BrokerOutcomeName, number> {
    return Object.fromEntries(BROKER_OUTCOME_ENTRIES.map(([name, outcome]) => [name, this.outcomes[outcome]!])) as Record<BrokerOutcomeName, number>;
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
