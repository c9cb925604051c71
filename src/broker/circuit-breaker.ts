export interface CircuitBreakerSettings {
  /** Opens after this many failures in a row (0: never on this rule). */
  consecutiveFailures: number;
  /** Opens when failures / requests over the window reach this ratio (above 1: never on this rule)... */
  errorRatio: number;
  /** ...once the window holds at least this many requests. */
  minRequests: number;
  windowMs: number;
  /** Time spent open before probing the instance again. */
  coolDownMs: number;
  /** Requests let through when half-open; that many successes close the circuit. */
  probes: number;
}

export const DEFAULT_CIRCUIT_BREAKER: CircuitBreakerSettings = {
  consecutiveFailures: 5,
  errorRatio: 0.5,
  minRequests: 20,
  windowMs: 10_000,
  coolDownMs: 5_000,
  probes: 3,
};

export const CIRCUIT_STATE = {
  CLOSED: 0,
  OPEN: 1,
  HALF_OPEN: 2,
} as const;
export type CircuitState = (typeof CIRCUIT_STATE)[keyof typeof CIRCUIT_STATE];

export const CIRCUIT_STATE_NAME = {
  [CIRCUIT_STATE.CLOSED]: 'closed',
  [CIRCUIT_STATE.OPEN]: 'open',
  [CIRCUIT_STATE.HALF_OPEN]: 'half-open',
} as const;
export type CircuitStateName = (typeof CIRCUIT_STATE_NAME)[CircuitState];

/** The error-ratio window is kept as this many slices, so that it slides without per-request timestamps. */
const WINDOW_SLICES = 10;

export interface CircuitSnapshot {
  state: CircuitStateName;
  consecutiveFailures: number;
  windowRequests: number;
  windowFailures: number;
  /** How many times the circuit has opened. */
  opened: number;
  /** While open: milliseconds until it half-opens. */
  halfOpensInMs?: number;
}

/**
 * The circuit breaker of one instance. Closed, it counts outcomes: failures in a row, and
 * requests and failures over a sliding window. It opens when either rule trips, and the
 * balancer then passes the instance over. After the cool-down it half-opens and lets
 * `probes` requests through: as many successes close it, one failure opens it again.
 *
 * Per request it only adds to plain counters; the window slides and the cool-down ends
 * in `tick`, which the broker calls from a timer.
 */
export class CircuitBreaker {
  state: CircuitState = CIRCUIT_STATE.CLOSED;
  consecutiveFailures = 0;
  windowRequests = 0;
  windowFailures = 0;
  opened = 0;
  private openedAt = 0;
  private probesInFlight = 0;
  private probeSuccesses = 0;
  private readonly sliceRequests = new Uint32Array(WINDOW_SLICES);
  private readonly sliceFailures = new Uint32Array(WINDOW_SLICES);
  private slice = 0;
  private sliceEndsAt: number;

  constructor(
    readonly settings: CircuitBreakerSettings,
    now: number,
  ) {
    this.sliceEndsAt = now + settings.windowMs / WINDOW_SLICES;
  }

  /** Whether a request may go to the instance now. */
  get isAdmitting(): boolean {
    return (
      this.state === CIRCUIT_STATE.CLOSED ||
      (this.state === CIRCUIT_STATE.HALF_OPEN && this.probesInFlight + this.probeSuccesses < this.settings.probes)
    );
  }

  /** A request goes to the instance; returns whether it is a probe. */
  admit(): boolean {
    if (this.state !== CIRCUIT_STATE.HALF_OPEN) return false;
    this.probesInFlight++;
    return true;
  }

  onSuccess(isProbe: boolean): void {
    if (isProbe) {
      this.probesInFlight--;
      if (this.state === CIRCUIT_STATE.HALF_OPEN && ++this.probeSuccesses >= this.settings.probes) this.close();
      return;
    }
    if (this.state !== CIRCUIT_STATE.CLOSED) return;
    this.consecutiveFailures = 0;
    this.sliceRequests[this.slice]!++;
    this.windowRequests++;
  }

  /** A failure: an ERROR from the instance, no answer within the request timeout, or its connection lost mid-request. */
  onFailure(isProbe: boolean, now: number): void {
    if (isProbe) {
      this.probesInFlight--;
      if (this.state === CIRCUIT_STATE.HALF_OPEN) this.open(now);
      return;
    }
    // Answers to requests sent before the circuit opened say nothing new.
    if (this.state !== CIRCUIT_STATE.CLOSED) return;
    this.consecutiveFailures++;
    this.sliceRequests[this.slice]!++;
    this.sliceFailures[this.slice]!++;
    this.windowRequests++;
    this.windowFailures++;
    const settings = this.settings;
    if (
      (settings.consecutiveFailures > 0 && this.consecutiveFailures >= settings.consecutiveFailures) ||
      (this.windowRequests >= settings.minRequests && this.windowFailures >= settings.errorRatio * this.windowRequests)
    ) {
      this.open(now);
    }
  }

  /** A request that ended without telling anything (the requester cancelled it). */
  onAbandon(isProbe: boolean): void {
    if (isProbe) this.probesInFlight--;
  }

  /** Slides the window and ends the cool-down; called by the broker's timer. */
  tick(now: number): void {
    while (now >= this.sliceEndsAt) {
      this.slice = (this.slice + 1) % WINDOW_SLICES;
      this.windowRequests -= this.sliceRequests[this.slice]!;
      this.windowFailures -= this.sliceFailures[this.slice]!;
      this.sliceRequests[this.slice] = 0;
      this.sliceFailures[this.slice] = 0;
      this.sliceEndsAt += this.settings.windowMs / WINDOW_SLICES;
      // After a long pause there is nothing left to slide: restart the slices from now.
      if (this.windowRequests === 0 && now - this.sliceEndsAt > this.settings.windowMs) this.sliceEndsAt = now + this.settings.windowMs / WINDOW_SLICES;
    }
    if (this.state === CIRCUIT_STATE.OPEN && now - this.openedAt >= this.settings.coolDownMs) {
      this.state = CIRCUIT_STATE.HALF_OPEN;
      this.probeSuccesses = 0;
    }
  }

  snapshot(now: number): CircuitSnapshot {
    return {
      state: CIRCUIT_STATE_NAME[this.state],
      consecutiveFailures: this.consecutiveFailures,
      windowRequests: this.windowRequests,
      windowFailures: this.windowFailures,
      opened: this.opened,
      ...(this.state === CIRCUIT_STATE.OPEN ? { halfOpensInMs: Math.round(this.halfOpensIn(now)) } : {}),
    };
  }

  /** Milliseconds until the circuit half-opens; 0 unless open. */
  halfOpensIn(now: number): number {
    return this.state === CIRCUIT_STATE.OPEN ? Math.max(0, this.openedAt + this.settings.coolDownMs - now) : 0;
  }

  private open(now: number): void {
    this.state = CIRCUIT_STATE.OPEN;
    this.openedAt = now;
    this.opened++;
    this.probeSuccesses = 0;
  }

  private close(): void {
    this.state = CIRCUIT_STATE.CLOSED;
    this.consecutiveFailures = 0;
    this.windowRequests = 0;
    this.windowFailures = 0;
    this.sliceRequests.fill(0);
    this.sliceFailures.fill(0);
  }
}
