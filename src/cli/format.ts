/**
 * How rsb writes numbers for people, the same in every command, plain line, table,
 * dashboard and HTML report: counts grouped, durations in the unit that reads best.
 */

/** `1234567` → `1,234,567`; rates and counts read better grouped. */
export function formatCount(value: number): string {
  return Math.round(value).toLocaleString('en-US');
}

/** `1 error`, `3 errors`: a count with its noun. */
export function formatCountOf(count: number, noun: string): string {
  return `${formatCount(count)} ${noun}${count === 1 ? '' : 's'}`;
}

/**
 * How many digits a duration keeps: `fine` for measured values (`2.31 ms`), `coarse`
 * for bounds that are only known to a power of two, the broker's latency buckets (`2.0 ms`,
 * `66 ms`), where more digits would claim a precision the figure does not have.
 */
export const PRECISION = { FINE: 'fine', COARSE: 'coarse' } as const;
export type Precision = (typeof PRECISION)[keyof typeof PRECISION];

/** A duration given in µs: `412 µs`, `2.31 ms`, `1.20 s` (coarse: `412 µs`, `4.1 ms`, `66 ms`, `2.1 s`). */
export function formatMicros(us: number, precision: Precision = PRECISION.FINE): string {
  if (us >= 1_000_000) return `${withDigits(us / 1_000_000, precision)} s`;
  if (us >= 1_000) return `${withDigits(us / 1_000, precision)} ms`;
  return `${Math.round(us)} µs`;
}

function withDigits(value: number, precision: Precision): string {
  if (precision === PRECISION.FINE) return value.toFixed(2);
  return value.toFixed(value >= 10 ? 0 : 1);
}

/** Enough digits to tell 99.98 from 100 and 0.004 from 0. */
export function formatPercent(value: number): string {
  if (value === 0 || value === 100) return String(value);
  if (Math.abs(value) >= 10) return value.toFixed(2);
  if (Math.abs(value) >= 0.01) return value.toFixed(3);
  return value.toPrecision(2);
}

/** Time since something started, to the second under an hour: `42s`, `3m05s`, `2h07m`. */
export function formatElapsed(ms: number): string {
  const seconds = Math.max(0, Math.floor(ms / 1000));
  if (seconds < 60) return `${seconds}s`;
  if (seconds < 3600) return `${Math.floor(seconds / 60)}m${String(seconds % 60).padStart(2, '0')}s`;
  return `${Math.floor(seconds / 3600)}h${String(Math.floor((seconds % 3600) / 60)).padStart(2, '0')}m`;
}
