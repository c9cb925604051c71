import { describe, expect, it } from 'vitest';
import { createLatencySampler, inverseStandardNormal } from '../../src/mock/index.js';
import { seededRandom } from '../support/random.js';

/** Draws `count` samples, sorted ascending. */
function draw(sampler: () => number, count: number): Float64Array {
  return Float64Array.from({ length: count }, sampler).sort();
}

function percentile(sorted: Float64Array, p: number): number {
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))]!;
}

describe('latency sampler', () => {
  it('knows the standard normal quantiles', () => {
    expect(inverseStandardNormal(0.5)).toBeCloseTo(0, 9);
    expect(inverseStandardNormal(0.99)).toBeCloseTo(2.326348, 5);
    expect(inverseStandardNormal(0.001)).toBeCloseTo(-3.090232, 5);
  });

  it('returns a fixed latency every time', () => {
    expect(new Set(draw(createLatencySampler({ kind: 'fixed', ms: 7 }), 100))).toEqual(new Set([7]));
  });

  it('keeps uniform draws inside the range and spreads them across it', () => {
    const samples = draw(createLatencySampler({ kind: 'uniform', minMs: 1, maxMs: 5 }, seededRandom(1)), 20_000);
    expect(samples[0]).toBeGreaterThanOrEqual(1);
    expect(samples.at(-1)).toBeLessThanOrEqual(5);
    expect(percentile(samples, 50)).toBeCloseTo(3, 1);
  });

  it('centres normal draws on the mean with the standard deviation asked, never below zero', () => {
    const samples = draw(createLatencySampler({ kind: 'normal', meanMs: 10, sdMs: 2 }, seededRandom(2)), 50_000);
    const mean = samples.reduce((sum, value) => sum + value, 0) / samples.length;
    const sd = Math.sqrt(samples.reduce((sum, value) => sum + (value - mean) ** 2, 0) / samples.length);
    expect(mean).toBeCloseTo(10, 1);
    expect(sd).toBeCloseTo(2, 1);
    const wide = draw(createLatencySampler({ kind: 'normal', meanMs: 1, sdMs: 5 }, seededRandom(3)), 1_000);
    expect(wide[0]).toBeGreaterThanOrEqual(0);
  });

  it('meets the percentiles it is given: p50=2ms,p99=20ms', () => {
    const samples = draw(
      createLatencySampler({ kind: 'percentiles', points: [{ percentile: 50, ms: 2 }, { percentile: 99, ms: 20 }] }, seededRandom(4)),
      200_000,
    );
    expect(percentile(samples, 50)).toBeGreaterThan(1.9);
    expect(percentile(samples, 50)).toBeLessThan(2.1);
    expect(percentile(samples, 99)).toBeGreaterThan(18.5);
    expect(percentile(samples, 99)).toBeLessThan(21.5);
    // The tail is cut at z = 4, about p99.997.
    expect(samples.at(-1)).toBeLessThanOrEqual(2 * Math.exp(4 * (Math.log(10) / inverseStandardNormal(0.99))) + 1e-9);
  });

  it('passes through every one of three or more percentiles', () => {
    const samples = draw(
      createLatencySampler(
        { kind: 'percentiles', points: [{ percentile: 10, ms: 1 }, { percentile: 50, ms: 2 }, { percentile: 90, ms: 10 }] },
        seededRandom(5),
      ),
      200_000,
    );
    expect(percentile(samples, 10)).toBeCloseTo(1, 1);
    expect(percentile(samples, 50)).toBeCloseTo(2, 1);
    expect(percentile(samples, 90)).toBeGreaterThan(9.5);
    expect(percentile(samples, 90)).toBeLessThan(10.5);
  });
});
