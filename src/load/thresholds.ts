import { formatCount, formatMicros, formatPercent } from '../cli/format.js';
import { UsageError } from '../errors.js';
import { roundTo, type Percentiles } from './histograms.js';

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
  unit: ThresholdUnit;
  /** Stop the run as soon as this threshold fails on the figures so far (k6's abortOnFail), once `abortGraceMs` of the run have passed. */
  abortOnFail: boolean;
  abortGraceMs: number;
}

export type ThresholdUnit = 'us' | 'percent' | 'count' | 'per-second';

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
  /** The measured value in `unit`, or undefined when there was nothing to measure. */
  actual: number | undefined;
  /** `us` (microseconds), `percent`, `count` or `per-second` (requests per second). */
  unit: ThresholdUnit;
  /** The measured value as a person reads it, or why there is none. */
  measured: string;
}

const LATENCY_UNITS_US: Record<string, number> = { us: 1, µs: 1, ms: 1_000, s: 1_000_000 };
const LATENCY_METRICS = new Set<string>(['p50', 'p90', 'p99', 'p99.9', 'p999', 'max', 'mean']);
const PATTERN = /^\s*([a-z][a-z0-9.]*)\s*(<=|>=|<|>)\s*(\d+(?:\.\d+)?)\s*(%|us|µs|ms|s|\/s)?\s*$/i;

const NO_ABORT = { abortOnFail: false, abortGraceMs: 0 };

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
    return { text: text.trim(), metric, operator, value: value * scale, unit: 'us', ...NO_ABORT };
  }
  if (metricText === 'errors') {
    if (unitText !== undefined && unitText !== '%') throw new UsageError(`threshold ${JSON.stringify(text)}: errors are a percentage (0.1%) or a count (10)`, hint);
    if (unitText === '%' && value > 100) throw new UsageError(`threshold ${JSON.stringify(text)}: a percentage above 100`, hint);
    return { text: text.trim(), metric: THRESHOLD_METRIC.ERRORS, operator, value, unit: unitText === '%' ? 'percent' : 'count', ...NO_ABORT };
  }
  if (metricText === 'rate') {
    if (unitText !== undefined && unitText !== '%' && unitText !== '/s') {
      throw new UsageError(`threshold ${JSON.stringify(text)}: rate is a percentage of the target (99%) or requests per second (60000)`, hint);
    }
    return { text: text.trim(), metric: THRESHOLD_METRIC.RATE, operator, value, unit: unitText === '%' ? 'percent' : 'per-second', ...NO_ABORT };
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
  if (actual === undefined) return { threshold: threshold.text, isPassed: false, actual, unit: threshold.unit, measured: explainMissing(threshold, input) };
  const rounded = roundTo(actual, 4);
  return { threshold: threshold.text, isPassed: compare(actual, threshold.operator, threshold.value), actual: rounded, unit: threshold.unit, measured: formatMeasured(threshold, actual) };
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
      return latency[LATENCY_FIELD[threshold.metric as LatencyMetric]];
    }
  }
}

type LatencyMetric = 'p50' | 'p90' | 'p99' | 'p99.9' | 'max' | 'mean';
const LATENCY_FIELD = { p50: 'p50Us', p90: 'p90Us', p99: 'p99Us', 'p99.9': 'p999Us', max: 'maxUs', mean: 'meanUs' } as const satisfies Record<LatencyMetric, keyof Percentiles>;

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

