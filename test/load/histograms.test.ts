import { describe, expect, it } from 'vitest';
import type { IntervalSnapshot } from '../../src/load/generator.js';
import { createHistogram, decodeHistogram, encodeHistogram, mergeEncoded, readCumulativeCounts, readPercentiles, readSpectrum, recordMillis } from '../../src/load/histograms.js';
import { OUTCOME, OUTCOME_COUNT } from '../../src/protocol/index.js';
import { compileProfile, PROFILE_KIND } from '../../src/load/profile.js';
import { RunRecorder, type TimelineRow } from '../../src/load/run-recorder.js';

function histogramOf(valuesUs: number[]): string {
  const histogram = createHistogram();
  for (const value of valuesUs) histogram.recordValue(value);
  return encodeHistogram(histogram);
}

function snapshot(worker: number, fields: Partial<IntervalSnapshot>): IntervalSnapshot {
  const outcomes = new Array(OUTCOME_COUNT).fill(0);
  return {
    worker,
    phase: 0,
    startMs: 0,
    endMs: 1_000,
    sent: 0,
    byEntry: [...outcomes],
    byTarget: [...outcomes],
    corrected: '',
    uncorrected: '',
    lag: '',
    phaseSent: [0, 0],
    phaseOutcomes: new Array(2 * OUTCOME_COUNT).fill(0),
    health: { ticks: 1, maxTickLateMs: 0, eventLoopDelayP99Ms: 0, eventLoopDelayMaxMs: 0, inFlight: 0 },
    errorSamples: [],
    expected: 0,
    stoppedAtMs: -1,
    firstErrorAtMs: -1,
    lastErrorAtMs: -1,
    isFinal: false,
    ...fields,
  };
}

describe('histograms', () => {
  it('merges encoded histograms into exactly the histogram of all the values', () => {
    const a = Array.from({ length: 1000 }, (_, i) => 100 + i);
    const b = Array.from({ length: 500 }, (_, i) => 5_000 + i * 7);
    const merged = createHistogram();
    mergeEncoded(merged, histogramOf(a));
    mergeEncoded(merged, histogramOf(b));
    const whole = decodeHistogram(histogramOf([...a, ...b]));
    expect(readPercentiles(merged)).toEqual(readPercentiles(whole));
    expect(merged.totalCount).toBe(1500);
  });

  it('records milliseconds as microseconds and clamps what lies outside the range', () => {
    const histogram = createHistogram();
    recordMillis(histogram, 1.5);
    recordMillis(histogram, 0);
    recordMillis(histogram, 10 * 60_000);
    expect(histogram.totalCount).toBe(3);
    expect(histogram.minNonZeroValue).toBe(1);
    expect(histogram.getValueAtPercentile(50)).toBe(1_500);
    expect(histogram.maxValue).toBeGreaterThanOrEqual(59_000_000);
  });

  it('has no percentiles when nothing was recorded', () => {
    expect(readPercentiles(createHistogram())).toBeUndefined();
    expect(readSpectrum(createHistogram())).toBeUndefined();
  });

  it('names the unit of every percentile: microseconds', () => {
    const histogram = createHistogram();
    for (let us = 1; us <= 1000; us++) histogram.recordValue(us);
    expect(readPercentiles(histogram)).toEqual({ count: 1000, p50Us: 500, p90Us: 900, p99Us: 990, p999Us: 999, maxUs: 1000, meanUs: 501 });
  });

  it('reads the percentile spectrum as HdrHistogram prints it: headline percentiles, then every step up to the last value', () => {
    const histogram = createHistogram();
    for (let us = 1; us <= 1000; us++) histogram.recordValue(us);
    const spectrum = readSpectrum(histogram)!;
    expect(spectrum.headline).toEqual([
      { percentile: 50, valueUs: 500 },
      { percentile: 75, valueUs: 750 },
      { percentile: 90, valueUs: 900 },
      { percentile: 99, valueUs: 990 },
      { percentile: 99.9, valueUs: 999 },
      { percentile: 99.99, valueUs: 1000 },
      { percentile: 99.999, valueUs: 1000 },
      { percentile: 100, valueUs: 1000 },
    ]);
    expect(spectrum.detail[0]).toEqual({ percentile: 0, valueUs: 1, totalCount: 1 });
    expect(spectrum.detail.at(-1)).toEqual({ percentile: 100, valueUs: 1000, totalCount: 1000 });
    for (let i = 1; i < spectrum.detail.length; i++) expect(spectrum.detail[i]!.percentile).toBeGreaterThanOrEqual(spectrum.detail[i - 1]!.percentile);
    expect(spectrum).toMatchObject({ count: 1000, maxUs: 1000, meanUs: 500.5 });
  });

  it('counts values at or below each bound, for Prometheus buckets', () => {
    const histogram = createHistogram();
    for (const us of [10, 20, 20, 300, 5_000]) histogram.recordValue(us);
    const { counts, sumUs } = readCumulativeCounts(histogram, [5, 20, 1_000, 10_000]);
    expect(counts).toEqual([0, 3, 4, 5]);
    expect(sumUs).toBeCloseTo(5_350, -1);
  });
});

describe('run recorder', () => {
  const schedule = compileProfile({ kind: PROFILE_KIND.STEPS, steps: [{ rate: 1000, durationMs: 1000 }, { rate: 2000, durationMs: 1000 }] });

  it('waits for every worker before emitting a row, then merges their histograms and counts', () => {
    const rows: TimelineRow[] = [];
    const recorder = new RunRecorder(schedule, ['svc.echo'], [{ name: 'broker-1', host: '127.0.0.1', port: 1 }], 2, (row) => rows.push(row));
    const ok = (count: number) => Object.assign(new Array(OUTCOME_COUNT).fill(0), { [OUTCOME.OK]: count });
    recorder.add(snapshot(0, { sent: 500, byEntry: ok(500), byTarget: ok(500), corrected: histogramOf(new Array(500).fill(200)) }));
    expect(rows).toHaveLength(0);
    recorder.add(snapshot(1, { sent: 500, byEntry: ok(498), corrected: histogramOf(new Array(498).fill(400)), lastErrorAtMs: 700, firstErrorAtMs: 600, byTarget: Object.assign(ok(498), { [OUTCOME.TIMEOUT]: 2 }), errorSamples: [{ outcome: OUTCOME.TIMEOUT, message: 'no answer within 1000 ms' }] }));
    expect(rows).toHaveLength(1);
    expect(rows[0]).toMatchObject({ sentRate: 1000, okRate: 998, sent: 1000, answered: 998, ok: 998, targetRate: 1000, firstErrorAtMs: 600, lastErrorAtMs: 700 });
    expect(rows[0]!.latency).toMatchObject({ count: 998, p50Us: 200 });
    expect(rows[0]!.byTarget).toEqual([{ ok: 998, errors: 2 }]);
    expect(recorder.corrected.totalCount).toBe(998);
  });

  it('adds rows to the histogram of their phase, and counts phases by the intended time of their requests', () => {
    const recorder = new RunRecorder(schedule, ['svc.echo'], [{ name: 'broker-1', host: '127.0.0.1', port: 1 }], 1);
    recorder.add(snapshot(0, { phase: 0, corrected: histogramOf([100, 100]) }));
    recorder.add(snapshot(0, { phase: 1, corrected: histogramOf([900]), phaseSent: [1000, 2000], phaseOutcomes: Object.assign(new Array(2 * OUTCOME_COUNT).fill(0), { [OUTCOME.OK]: 1000, [OUTCOME_COUNT + OUTCOME.OK]: 1990 }), isFinal: true }));
    const figures = recorder.figures();
    expect(figures.phases.map((phase) => [phase.expected, phase.sent, phase.ok, phase.errors])).toEqual([
      [1000, 1000, 1000, 0],
      [2000, 2000, 1990, 0],
    ]);
    expect(figures.phases[1]!.deliveredPercent).toBeCloseTo(99.5, 9);
    expect(figures.phases.map((phase) => phase.latency?.maxUs)).toEqual([100, 900]);
  });
});
