/** How an endpoint waits between attempts to reconnect to a broker that went away. */
export interface ReconnectPolicy {
  /** Wait before the first attempt after a loss. */
  initialDelayMs: number;
  /** The wait never grows past this. */
  maxDelayMs: number;
  /** Each failed attempt multiplies the wait by this. */
  factor: number;
  /**
   * Spread each wait by ± this fraction, so that the many services a broker restart
   * disconnects at once do not all knock again in the same millisecond.
   */
  jitter: number;
}

export const DEFAULT_RECONNECT_POLICY: ReconnectPolicy = { initialDelayMs: 100, maxDelayMs: 5_000, factor: 2, jitter: 0.2 };

/**
 * Redials at most a second apart, for the few clients of a test set-up (mocks, load
 * generators): a restarted broker gets their traffic back within a second of listening,
 * and there is no herd of them to spread out.
 */
export const FAST_RECONNECT_POLICY: ReconnectPolicy = { ...DEFAULT_RECONNECT_POLICY, maxDelayMs: 1_000 };

/** The wait before attempt `attempt` (0 for the first after a loss): exponential, capped, jittered. */
export function computeBackoffDelay(policy: ReconnectPolicy, attempt: number, random: () => number = Math.random): number {
  const base = Math.min(policy.maxDelayMs, policy.initialDelayMs * policy.factor ** Math.max(0, attempt));
  const spread = base * policy.jitter * (2 * random() - 1);
  return Math.max(0, Math.round(base + spread));
}
