import hdr, { type Histogram, type JsHistogram } from 'hdr-histogram-js';

/** Every latency rsb keeps is in microseconds, from 1 µs to one minute, at 3 significant digits. */
export const HISTOGRAM_MAX_US = 60_000_000;

export function createHistogram(): Histogram {
  return hdr.build({ lowestDiscernibleValue: 1, highestTrackableValue: HISTOGRAM_MAX_US, numberOfSignificantValueDigits: 3 });
}

let isWasmReady = false;

/**
 * A histogram for the generator's hot path: hdr-histogram-js's WebAssembly build records
 * a value in ~20 ns against ~100 ns for the JavaScript one (three records per request),
 * and encodes to the same bytes. Free it with `destroy()`.
 */
export function createRecordingHistogram(): Histogram {
  if (!isWasmReady) {
    hdr.initWebAssemblySync();
    isWasmReady = true;
  }
  return hdr.build({ lowestDiscernibleValue: 1, highestTrackableValue: HISTOGRAM_MAX_US, numberOfSignificantValueDigits: 3, useWebAssembly: true });
}

/** Records a duration given in milliseconds; values outside the range are clamped rather than thrown. */
export function recordMillis(histogram: Histogram, ms: number): void {
  const us = Math.round(ms * 1000);
  histogram.recordValue(us < 1 ? 1 : us > HISTOGRAM_MAX_US ? HISTOGRAM_MAX_US : us);
}

/** The HdrHistogram standard encoding (compressed, base64): small, and readable by any HdrHistogram tool. */
export function encodeHistogram(histogram: Histogram): string {
  return hdr.encodeIntoCompressedBase64(histogram);
}

export function decodeHistogram(encoded: string): Histogram {
  return hdr.decodeFromCompressedBase64(encoded, 32, false);
}

/** Adds encoded histograms into `into`: how the histograms of several workers become one. */
export function mergeEncoded(into: Histogram, encoded: string): void {
  if (encoded === '') return;
  into.add(decodeHistogram(encoded));
}

/** Latency percentiles as reports show them, each field named with its unit (microseconds); undefined when nothing was recorded. */
export interface Percentiles {
  count: number;
  p50Us: number;
  p90Us: number;
  p99Us: number;
  p999Us: number;
  maxUs: number;
  meanUs: number;
}

export function readPercentiles(histogram: Histogram): Percentiles | undefined {
  if (histogram.totalCount === 0) return undefined;
  return {
    count: histogram.totalCount,
    p50Us: histogram.getValueAtPercentile(50),
    p90Us: histogram.getValueAtPercentile(90),
    p99Us: histogram.getValueAtPercentile(99),
    p999Us: histogram.getValueAtPercentile(99.9),
    maxUs: histogram.maxValue,
    meanUs: Math.round(histogram.mean),
  };
}

/** One step of a percentile spectrum: the value at a percentile, and how many values are at or below it. */
export interface SpectrumPoint {
  percentile: number;
  valueUs: number;
  totalCount: number;
}

/** The full percentile spectrum, as HdrHistogram (and wrk2) print it, with the figures under it. */
export interface LatencySpectrum {
  /** The headline percentiles wrk2 prints first: 50, 75, 90, 99, 99.9, 99.99, 99.999 and 100. */
  headline: { percentile: number; valueUs: number }[];
  /** Every step, five per halving of the distance to 100 % (HdrHistogram's percentile ticks). */
  detail: SpectrumPoint[];
  count: number;
  meanUs: number;
  stdDeviationUs: number;
  maxUs: number;
}

const HEADLINE_PERCENTILES = [50, 75, 90, 99, 99.9, 99.99, 99.999, 100];
const TICKS_PER_HALF_DISTANCE = 5;

/** The spectrum of a histogram built by `createHistogram` (rsb's JavaScript histograms expose HdrHistogram's percentile iterator). */
export function readSpectrum(histogram: Histogram): LatencySpectrum | undefined {
  if (histogram.totalCount === 0) return undefined;
  const iterator = (histogram as unknown as JsHistogram).percentileIterator;
  iterator.reset(TICKS_PER_HALF_DISTANCE);
  const detail: SpectrumPoint[] = [];
  while (iterator.hasNext()) {
    const step = iterator.next();
    detail.push({ percentile: roundTo(step.percentileLevelIteratedTo, 6), valueUs: step.valueIteratedTo, totalCount: step.totalCountToThisValue });
  }
  return {
    headline: HEADLINE_PERCENTILES.map((percentile) => ({ percentile, valueUs: percentile === 100 ? histogram.maxValue : histogram.getValueAtPercentile(percentile) })),
    detail,
    count: histogram.totalCount,
    meanUs: roundTo(histogram.mean, 3),
    stdDeviationUs: roundTo(histogram.stdDeviation, 3),
    maxUs: histogram.maxValue,
  };
}

/**
 * Values at or below each bound (µs, ascending), for a Prometheus histogram's cumulative
 * buckets, and the sum of all values: walked once over the recorded values.
 */
export function readCumulativeCounts(histogram: Histogram, boundsUs: readonly number[]): { counts: number[]; sumUs: number } {
  const counts = new Array<number>(boundsUs.length).fill(0);
  let sumUs = 0;
  if (histogram.totalCount === 0) return { counts, sumUs };
  const js = histogram as unknown as JsHistogram;
  const iterator = js.recordedValuesIterator;
  iterator.reset();
  let bound = 0;
  let below = 0;
  while (iterator.hasNext()) {
    const step = iterator.next();
    const value = js.highestEquivalentValue(step.valueIteratedTo);
    while (bound < boundsUs.length && value > boundsUs[bound]!) counts[bound++] = below;
    below += step.countAtValueIteratedTo;
    sumUs += js.medianEquivalentValue(step.valueIteratedTo) * step.countAtValueIteratedTo;
  }
  while (bound < boundsUs.length) counts[bound++] = below;
  return { counts, sumUs };
}

/** `value` rounded to `digits` decimals: figures without float noise (6.000900999999658 → 6.001). */
export function roundTo(value: number, digits: number): number {
  const scale = 10 ** digits;
  return Math.round(value * scale) / scale;
}

/** Points of the percentile distribution for charts: 0 % to 99.999 % on a log scale of 1/(1−p). */
export function readDistribution(histogram: Histogram): { percentile: number; us: number }[] {
  if (histogram.totalCount === 0) return [];
  const points: { percentile: number; us: number }[] = [];
  for (const percentile of DISTRIBUTION_PERCENTILES) points.push({ percentile, us: histogram.getValueAtPercentile(percentile) });
  points.push({ percentile: 100, us: histogram.maxValue });
  return points;
}

const DISTRIBUTION_PERCENTILES = [
  0, 10, 20, 30, 40, 50, 55, 60, 65, 70, 75, 77.5, 80, 82.5, 85, 87.5, 88.75, 90, 91.25, 92.5, 93.75, 95, 96.25, 97, 97.5, 98, 98.5, 99, 99.25, 99.5,
  99.75, 99.9, 99.95, 99.99, 99.995, 99.999,
];

export type { Histogram };
