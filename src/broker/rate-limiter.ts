import { findRule } from './glob.js';

export interface RateLimit {
  requestsPerSecond: number;
  /** Requests admitted at once after a quiet spell: the bucket's size. */
  burst: number;
}

/**
 * A token bucket: holds up to `burst` tokens, refilled at `requestsPerSecond`; each
 * request takes one or is refused. Refilled from the time the caller passes (the broker's
 * chunk clock, see BrokerClock.now), so taking a token reads no clock and allocates nothing.
 */
export class TokenBucket {
  private tokens: number;
  private refilledAt: number;
  private readonly tokensPerMs: number;
  /** Requests refused since the start, for the admin API. */
  refused = 0;

  constructor(
    readonly limit: RateLimit,
    /** Where the limit comes from, as the rejection message names it. */
    readonly description: string,
    now: number,
  ) {
    this.tokens = limit.burst;
    this.refilledAt = now;
    this.tokensPerMs = limit.requestsPerSecond / 1000;
  }

  /** Takes a token if there is one; `now` in milliseconds. */
  tryTake(now: number): boolean {
    const elapsed = now - this.refilledAt;
    if (elapsed > 0) {
      const refilled = this.tokens + elapsed * this.tokensPerMs;
      this.tokens = refilled < this.limit.burst ? refilled : this.limit.burst;
      this.refilledAt = now;
    }
    if (this.tokens >= 1) {
      this.tokens -= 1;
      return true;
    }
    this.refused++;
    return false;
  }

  /** Gives back a token taken for a request that another limit then refused. */
  giveBack(): void {
    this.tokens = Math.min(this.limit.burst, this.tokens + 1);
  }

  /** Why a request was refused, in words that name the limit. */
  get refusal(): string {
    return `rate limit of ${this.description} exceeded: ${this.limit.requestsPerSecond} requests/s, burst ${this.limit.burst}`;
  }
}

/**
 * The per-app buckets: every connection of one app (by its app info name) draws from the
 * same bucket, so an app cannot escape its limit by opening more connections.
 */
export class AppRateLimits {
  private readonly buckets = new Map<string, TokenBucket | null>();

  constructor(private readonly rules: ReadonlyMap<string, RateLimit | undefined>) {}

  get isEmpty(): boolean {
    return this.rules.size === 0;
  }

  /** The bucket of an app, or null when no rule limits it. */
  bucketFor(appName: string, now: number): TokenBucket | null {
    let bucket = this.buckets.get(appName);
    if (bucket === undefined) {
      const limit = findRule(this.rules, appName);
      bucket = limit ? new TokenBucket(limit, `app ${appName}`, now) : null;
      this.buckets.set(appName, bucket);
    }
    return bucket;
  }
}
