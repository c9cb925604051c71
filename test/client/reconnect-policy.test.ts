import { describe, expect, it } from 'vitest';
import { computeBackoffDelay } from '../../src/client/index.js';

const policy = { initialDelayMs: 100, maxDelayMs: 5_000, factor: 2, jitter: 0.2 };

describe('reconnect backoff', () => {
  it('doubles the wait with each attempt, up to the cap', () => {
    const middle = () => 0.5; // no jitter
    expect([0, 1, 2, 3, 4, 5, 6, 10].map((attempt) => computeBackoffDelay(policy, attempt, middle))).toEqual([100, 200, 400, 800, 1600, 3200, 5000, 5000]);
  });

  it('spreads each wait by at most the jitter fraction either way', () => {
    expect(computeBackoffDelay(policy, 2, () => 0)).toBe(320);
    expect(computeBackoffDelay(policy, 2, () => 0.999999)).toBe(480);
  });
});
