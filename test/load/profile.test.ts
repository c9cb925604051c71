import { describe, expect, it } from 'vitest';
import { compileProfile, DEFAULT_DAILY_WEIGHTS, PROFILE_KIND, type DailyProfileSpec } from '../../src/load/profile.js';

const DAY: DailyProfileSpec = { kind: PROFILE_KIND.DAILY, total: 27_000_000, peak: 62_000, weights: [...DEFAULT_DAILY_WEIGHTS], scale: 1 };

function intendedTimes(schedule: ReturnType<typeof compileProfile>, stride = 1, first = 0): number[] {
  const cursor = schedule.cursor();
  const times: number[] = [];
  for (let k = first; ; k += stride) {
    const at = cursor.timeOf(k);
    if (at === Infinity) return times;
    times.push(at);
  }
}

describe('profiles', () => {
  it('spaces a constant rate evenly: request k at k/rate', () => {
    const schedule = compileProfile({ kind: PROFILE_KIND.CONSTANT, rate: 1_000, durationMs: 2_000 });
    const times = intendedTimes(schedule);
    expect(schedule.totalRequests).toBe(2_000);
    expect(times).toHaveLength(2_000);
    expect(times[0]).toBe(0);
    expect(times[1]).toBeCloseTo(1, 9);
    expect(times[1999]).toBeCloseTo(1999, 6);
  });

  it('sends the area under a ramp, denser as the rate climbs', () => {
    const schedule = compileProfile({ kind: PROFILE_KIND.RAMP, from: 0, to: 2_000, durationMs: 1_000 });
    const times = intendedTimes(schedule);
    expect(times).toHaveLength(1_000);
    // Half the requests of a ramp from 0 leave after 1/√2 of its length.
    expect(times[500]).toBeCloseTo(1000 / Math.SQRT2, 3);
    expect(schedule.rateAt(250)).toBe(500);
    for (let k = 1; k < times.length; k++) expect(times[k]).toBeGreaterThan(times[k - 1]!);
  });

  it('runs steps one after the other, each a phase with its own expected count', () => {
    const schedule = compileProfile({
      kind: PROFILE_KIND.STEPS,
      steps: [
        { rate: 100, durationMs: 1_000 },
        { rate: 0, durationMs: 500 },
        { rate: 300, durationMs: 1_000 },
      ],
    });
    expect(schedule.phases.map((phase) => phase.expected)).toEqual([100, 0, 300]);
    const times = intendedTimes(schedule);
    expect(times).toHaveLength(400);
    expect(times[99]).toBeCloseTo(990, 6);
    expect(times[100]).toBe(1_500);
    expect(times[101]).toBeCloseTo(1_500 + 1000 / 300, 6);
  });

  it('shares a schedule between workers without losing or repeating a request', () => {
    const schedule = compileProfile({ kind: PROFILE_KIND.RAMP, from: 100, to: 900, durationMs: 1_000 });
    const all = intendedTimes(schedule);
    const merged = [...intendedTimes(schedule, 3, 0), ...intendedTimes(schedule, 3, 1), ...intendedTimes(schedule, 3, 2)].sort((a, b) => a - b);
    expect(merged).toEqual(all);
  });

  it('delivers the daily total of 27,000,000 with the busiest hour at exactly 62,000/s', () => {
    const schedule = compileProfile(DAY);
    expect(schedule.phases).toHaveLength(24);
    expect(schedule.totalRequests).toBe(27_000_000);
    expect(schedule.phases.reduce((sum, phase) => sum + phase.expected, 0)).toBe(27_000_000);
    const peakHour = DEFAULT_DAILY_WEIGHTS.indexOf(Math.max(...DEFAULT_DAILY_WEIGHTS));
    expect(schedule.phases[peakHour]!.fromRate).toBe(62_000);
    expect(Math.max(...schedule.phases.map((phase) => phase.fromRate))).toBe(62_000);
    // Every hour is as long as the peak hour needs at the peak rate.
    const hourMs = (schedule.phases[peakHour]!.expected / 62_000) * 1000;
    for (const phase of schedule.phases) expect(phase.endMs - phase.startMs).toBeCloseTo(hourMs, 0);
    // Each hour's share of the day follows its weight.
    const sum = DEFAULT_DAILY_WEIGHTS.reduce((total, weight) => total + weight, 0);
    schedule.phases.forEach((phase, hour) => expect(Math.abs(phase.expected - (27_000_000 * DEFAULT_DAILY_WEIGHTS[hour]!) / sum)).toBeLessThanOrEqual(1));
  });

  it('scales the day down for CI, keeping its shape and its peak', () => {
    const full = compileProfile(DAY);
    const scaled = compileProfile({ ...DAY, scale: 0.01 });
    expect(scaled.totalRequests).toBe(270_000);
    expect(Math.max(...scaled.phases.map((phase) => phase.fromRate))).toBe(62_000);
    expect(scaled.durationMs).toBeCloseTo(full.durationMs * 0.01, 3);
    scaled.phases.forEach((phase, hour) => expect(phase.fromRate).toBeCloseTo(full.phases[hour]!.fromRate, 9));
  });

  it('counts expected requests as the integral of the rate', () => {
    const schedule = compileProfile({ kind: PROFILE_KIND.RAMP, from: 1_000, to: 3_000, durationMs: 2_000 });
    expect(schedule.expectedBy(1_000)).toBeCloseTo(1_500, 6);
    expect(schedule.expectedBy(2_000)).toBeCloseTo(4_000, 6);
    expect(schedule.totalRequests).toBe(4_000);
  });
});
