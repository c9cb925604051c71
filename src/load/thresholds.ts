import { formatCount, formatMicros, formatPercent } from '../cli/format.js';
import { UsageError } from '../errors.js';
import type { Percentiles } from './histograms.js';

/**
 * Pass/fail thresholds, as CI writes them: `p99<5ms`, `errors<0.1%`, `rate>=99%`.
 * Parsed (and so validated) before the run; evaluated even when no sample arrived, in
 * which case a latency or error threshold fails rather than passes on nothing.
 */
export const THRESHOLD_METRIC = {
  P50: 'p50',
  P90: 'p90',
  P99: 'p99',
  P999: 'p99.9',
  MAX: 'max',
  MEAN: 'mean',
  ERRORS: 'errors',
  RATE: 'rate',
} as const;
export type ThresholdMetric = (typeof THRESHOLD_METRIC)[keyof typeof THRESHOLD_METRIC];

const OPERATORS = ['<=', '>=', '<', '>'] as const;
type Operator = (typeof OPERATORS)[number];

export interface Threshold {
  text: string;
  metric: ThresholdMetric;
  operator: Operator;
  /** Microseconds for latency; percent or a count for errors; percent of the target or requests/s for rate. */
  value: number;
  unit: 'us' | 'percent' | 'count' | 'per-second';
}

/** What thresholds are judged on: one run, or one phase of it. */
export interface ThresholdInput {
  /** Corrected latency; undefined when no answer arrived. */
  latency: Percentiles | undefined;
  expected: number;
  sent: number;
  ok: number;
  errors: number;
  /** Seconds of schedule the figures cover. */
  seconds: number;
}

export interface ThresholdResult {
  threshold: string;
  isPassed: boolean;
  /** The measured value in the threshold's unit, or undefined when there was nothing to measure. */
  actual: number | undefined;
  /** The measured value as a person reads it, or why there is none. */
  measured: string;
}

const LATENCY_UNITS_US: Record<string, number> = { us: 1, µs: 1, ms: 1_000, s: 1_000_000 };
const LATENCY_METRICS = new Set<string>(['p50', 'p90', 'p99', 'p99.9', 'p999', 'max', 'mean']);
const PATTERN = /^\s*([a-z][a-z0-9.]*)\s*(<=|>=|<|>)\s*(\d+(?:\.\d+)?)\s*(%|us|µs|ms|s|\/s)?\s*$/i;

export function parseThreshold(text: string): Threshold {
  const match = PATTERN.exec(text);
  const hint = "Write it like 'p99<5ms', 'errors<0.1%' or 'rate>=99%'.";
  if (!match) throw new UsageError(`threshold ${JSON.stringify(text)} is not <metric><operator><value>`, hint);
  const metricText = match[1]!.toLowerCase();
  const operator = match[2] as Operator;
  const value = Number(match[3]);
  const unitText = match[4]?.toLowerCase();
  if (LATENCY_METRICS.has(metricText)) {
    const scale = unitText === undefined ? undefined : LATENCY_UNITS_US[unitText];
    if (scale === undefined) throw new UsageError(`threshold ${JSON.stringify(text)} needs a time unit (us, ms or s)`, hint);
    const metric = (metricText === 'p999' ? THRESHOLD_METRIC.P999 : metricText) as ThresholdMetric;
    return { text: text.trim(), metric, operator, value: value * scale, unit: 'us' };
  }
  if (metricText === 'errors') {
    if (unitText !== undefined && unitText !== '%') throw new UsageError(`threshold ${JSON.stringify(text)}: errors are a percentage (0.1%) or a count (10)`, hint);
    if (unitText === '%' && value > 100) throw new UsageError(`threshold ${JSON.stringify(text)}: a percentage above 100`, hint);
    return { text: text.trim(), metric: THRESHOLD_METRIC.ERRORS, operator, value, unit: unitText === '%' ? 'percent' : 'count' };
  }
  if (metricText === 'rate') {
    if (unitText !== undefined && unitText !== '%' && unitText !== '/s') {
      throw new UsageError(`threshold ${JSON.stringify(text)}: rate is a percentage of the target (99%) or requests per second (60000)`, hint);
    }
    return { text: text.trim(), metric: THRESHOLD_METRIC.RATE, operator, value, unit: unitText === '%' ? 'percent' : 'per-second' };
  }
  throw new UsageError(
    `threshold ${JSON.stringify(text)} names an unknown metric ${JSON.stringify(match[1])}`,
    'Metrics: p50, p90, p99, p99.9, max, mean (corrected latency), errors, rate.',
  );
}

export function evaluateThresholds(thresholds: readonly Threshold[], input: ThresholdInput): ThresholdResult[] {
  return thresholds.map((threshold) => evaluateThreshold(threshold, input));
}

function evaluateThreshold(threshold: Threshold, input: ThresholdInput): ThresholdResult {
  const actual = measure(threshold, input);
  if (actual === undefined) return { threshold: threshold.text, isPassed: false, actual, measured: explainMissing(threshold, input) };
  return { threshold: threshold.text, isPassed: compare(actual, threshold.operator, threshold.value), actual, measured: formatMeasured(threshold, actual) };
}

function measure(threshold: Threshold, input: ThresholdInput): number | undefined {
  switch (threshold.metric) {
    case THRESHOLD_METRIC.ERRORS:
      if (threshold.unit === 'count') return input.errors;
      return input.sent === 0 ? undefined : (input.errors / input.sent) * 100;
    case THRESHOLD_METRIC.RATE:
      if (threshold.unit === 'percent') return input.expected === 0 ? undefined : (input.ok / input.expected) * 100;
      return input.seconds === 0 ? undefined : input.ok / input.seconds;
    default: {
      const latency = input.latency;
      if (latency === undefined) return undefined;
      const key = threshold.metric === THRESHOLD_METRIC.P999 ? 'p999' : (threshold.metric as 'p50' | 'p90' | 'p99' | 'max' | 'mean');
      return latency[key];
    }
  }
}

function explainMissing(threshold: Threshold, input: ThresholdInput): string {
  if (threshold.metric === THRESHOLD_METRIC.ERRORS) return 'no request was sent';
  if (threshold.metric === THRESHOLD_METRIC.RATE) return input.expected === 0 ? 'the schedule expected no request' : 'no time elapsed';
  return 'no answer arrived to measure';
}

function compare(actual: number, operator: Operator, value: number): boolean {
  switch (operator) {
    case '<':
      return actual < value;
    case '<=':
      return actual <= value;
    case '>':
      return actual > value;
    case '>=':
      return actual >= value;
  }
}

function formatMeasured(threshold: Threshold, actual: number): string {
  switch (threshold.unit) {
    case 'us':
      return formatMicros(actual);
    case 'percent':
      return `${formatPercent(actual)}%`;
    case 'count':
      return String(actual);
    case 'per-second':
      return `${formatCount(actual)}/s`;
  }
}

