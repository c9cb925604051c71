import { describe, expect, it } from 'vitest';
import { CircuitBreaker, DEFAULT_CIRCUIT_BREAKER, CIRCUIT_STATE } from '../../src/broker/circuit-breaker.js';
import { compileGlob, findRule } from '../../src/broker/glob.js';
import { TokenBucket } from '../../src/broker/rate-limiter.js';
import { LatencyHistogram } from '../../src/broker/traffic-stats.js';

/** The management parts that keep state, driven with explicit times (milliseconds) instead of a clock. */
describe('token bucket', () => {
  it('admits its burst at once and then one request per refilled token', () => {
    const bucket = new TokenBucket({ requestsPerSecond: 10, burst: 3 }, 'service calc', 0);
    expect([bucket.tryTake(0), bucket.tryTake(0), bucket.tryTake(0), bucket.tryTake(0)]).toEqual([true, true, true, false]);
    expect(bucket.tryTake(99)).toBe(false);
    expect(bucket.tryTake(100)).toBe(true);
    expect(bucket.refused).toBe(2);
  });

  it('never holds more than its burst, however long it rests', () => {
    const bucket = new TokenBucket({ requestsPerSecond: 1_000, burst: 2 }, 'app web', 0);
    const admitted = [0, 0, 0].map(() => bucket.tryTake(60_000)).filter(Boolean).length;
    expect(admitted).toBe(2);
  });

  it('takes back a token given back', () => {
    const bucket = new TokenBucket({ requestsPerSecond: 1, burst: 1 }, 'service calc', 0);
    expect(bucket.tryTake(0)).toBe(true);
    bucket.giveBack();
    expect(bucket.tryTake(0)).toBe(true);
    expect(bucket.refusal).toBe('rate limit of service calc exceeded: 1 requests/s, burst 1');
  });
});

describe('circuit breaker', () => {
  const settings = { ...DEFAULT_CIRCUIT_BREAKER, consecutiveFailures: 3, errorRatio: 0.5, minRequests: 10, windowMs: 1_000, coolDownMs: 500, probes: 2 };

  it('opens after the configured failures in a row, and a success in between resets the count', () => {
    const breaker = new CircuitBreaker(settings, 0);
    breaker.onFailure(false, 1);
    breaker.onFailure(false, 2);
    breaker.onSuccess(false);
    breaker.onFailure(false, 3);
    breaker.onFailure(false, 4);
    expect(breaker.state).toBe(CIRCUIT_STATE.CLOSED);
    breaker.onFailure(false, 5);
    expect(breaker.state).toBe(CIRCUIT_STATE.OPEN);
    expect(breaker.isAdmitting).toBe(false);
  });

  it('opens on the error ratio only once the window holds enough requests', () => {
    const breaker = new CircuitBreaker({ ...settings, consecutiveFailures: 0 }, 0);
    for (let i = 0; i < 4; i++) {
      breaker.onSuccess(false);
      breaker.onFailure(false, 10);
    }
    expect(breaker.state).toBe(CIRCUIT_STATE.CLOSED);
    breaker.onSuccess(false);
    breaker.onFailure(false, 10);
    expect(breaker.state).toBe(CIRCUIT_STATE.OPEN);
  });

  it('forgets outcomes that slid out of the window', () => {
    const breaker = new CircuitBreaker({ ...settings, consecutiveFailures: 0 }, 0);
    for (let i = 0; i < 9; i++) breaker.onFailure(false, 0);
    breaker.tick(1_500);
    expect(breaker.windowRequests).toBe(0);
    breaker.onFailure(false, 1_500);
    expect(breaker.state).toBe(CIRCUIT_STATE.CLOSED);
  });

  it('half-opens after the cool-down, admits only its probes, and closes when they succeed', () => {
    const breaker = new CircuitBreaker(settings, 0);
    for (let i = 0; i < 3; i++) breaker.onFailure(false, 100);
    breaker.tick(599);
    expect(breaker.state).toBe(CIRCUIT_STATE.OPEN);
    breaker.tick(600);
    expect(breaker.state).toBe(CIRCUIT_STATE.HALF_OPEN);
    const probes = [breaker.admit(), breaker.admit()];
    expect(probes).toEqual([true, true]);
    expect(breaker.isAdmitting).toBe(false);
    breaker.onSuccess(true);
    expect(breaker.state).toBe(CIRCUIT_STATE.HALF_OPEN);
    breaker.onSuccess(true);
    expect(breaker.state).toBe(CIRCUIT_STATE.CLOSED);
    expect(breaker.opened).toBe(1);
  });

  it('frees the slot of a cancelled probe and opens again on a failed one', () => {
    const breaker = new CircuitBreaker(settings, 0);
    for (let i = 0; i < 3; i++) breaker.onFailure(false, 0);
    breaker.tick(500);
    breaker.admit();
    breaker.admit();
    breaker.onAbandon(true);
    expect(breaker.isAdmitting).toBe(true);
    breaker.onFailure(true, 700);
    expect(breaker.state).toBe(CIRCUIT_STATE.OPEN);
    expect(breaker.snapshot(800)).toMatchObject({ state: 'open', opened: 2, halfOpensInMs: 400 });
  });

  it('ignores late answers to requests sent before it opened', () => {
    const breaker = new CircuitBreaker(settings, 0);
    for (let i = 0; i < 3; i++) breaker.onFailure(false, 0);
    breaker.onSuccess(false);
    breaker.onFailure(false, 1);
    expect(breaker.snapshot(1)).toMatchObject({ state: 'open', opened: 1 });
  });
});

describe('glob patterns', () => {
  it('match any run of characters with * and one with ?, dots included', () => {
    const pattern = compileGlob(['calc.*', 'report.d?ily']);
    expect(['calc.add', 'calc.a.b', 'report.daily'].map((name) => pattern.test(name))).toEqual([true, true, true]);
    expect(['calculator.add', 'report.dayly.x', 'xcalc.add'].map((name) => pattern.test(name))).toEqual([false, false, false]);
  });

  it('match nothing when there are none, and treat other characters literally', () => {
    expect(compileGlob([]).test('')).toBe(false);
    expect(compileGlob(['a+b(c)']).test('a+b(c)')).toBe(true);
  });

  it('find an exact rule before a pattern, then the first pattern in order', () => {
    const rules = new Map([
      ['web-*', 'pattern'],
      ['web-shop', 'exact'],
      ['*', 'fallback'],
    ]);
    expect([findRule(rules, 'web-shop'), findRule(rules, 'web-blog'), findRule(rules, 'batch')]).toEqual(['exact', 'pattern', 'fallback']);
  });
});

describe('latency histogram', () => {
  it('counts each latency in its power-of-two bucket and reports percentiles as bucket bounds', () => {
    const histogram = new LatencyHistogram();
    for (const micros of [5, 100, 100, 100, 3_000]) histogram.record(micros);
    expect(histogram.count).toBe(5);
    expect(histogram.sumMicros).toBe(3_305);
    expect(histogram.percentileMicros(0.5)).toBe(128);
    expect(histogram.percentileMicros(0.99)).toBe(4_096);
    expect(histogram.cumulative()[0]).toEqual({ le: 16 / 1e6, count: 1 });
    expect(histogram.cumulative().at(-1)!.count).toBe(5);
  });
});
