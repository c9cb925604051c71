import type { LatencySpec } from './spec.js';

/** Draws one latency in milliseconds. */
export type LatencySampler = () => number;

/** Tails are cut at 4 standard deviations: p99.997, so that a curve fitted to p50/p99 never waits for minutes. */
const MAX_Z = 4;

/**
 * A sampler for a latency spec. Percentiles are met by a log-normal curve: each given
 * point is placed at its standard normal quantile z, ln(latency) is interpolated linearly
 * in z between points and extended past the ends along the nearest segment, and a draw
 * maps a standard normal z through that line. Two points give exactly a log-normal
 * distribution, the usual shape of service latency; more points bend it to pass them all.
 */
export function createLatencySampler(spec: LatencySpec, random: () => number = Math.random): LatencySampler {
  switch (spec.kind) {
    case 'fixed':
      return () => spec.ms;
    case 'uniform':
      return () => spec.minMs + (spec.maxMs - spec.minMs) * random();
    case 'normal':
      return () => Math.max(0, spec.meanMs + spec.sdMs * drawStandardNormal(random));
    case 'percentiles': {
      const zs = spec.points.map((point) => inverseStandardNormal(point.percentile / 100));
      const logs = spec.points.map((point) => Math.log(point.ms));
      if (zs.length === 1) return () => spec.points[0]!.ms;
      return () => Math.exp(interpolate(zs, logs, Math.max(-MAX_Z, Math.min(MAX_Z, drawStandardNormal(random)))));
    }
  }
}

/** Piecewise-linear y(x) through the points (xs ascending), extended along the end segments. */
function interpolate(xs: readonly number[], ys: readonly number[], x: number): number {
  let i = 1;
  while (i < xs.length - 1 && x > xs[i]!) i++;
  const x0 = xs[i - 1]!;
  const x1 = xs[i]!;
  return ys[i - 1]! + ((ys[i]! - ys[i - 1]!) * (x - x0)) / (x1 - x0);
}

/** Box-Muller: a standard normal draw from two uniform ones. */
function drawStandardNormal(random: () => number): number {
  const u = 1 - random(); // (0, 1]: the logarithm needs it above 0
  return Math.sqrt(-2 * Math.log(u)) * Math.cos(2 * Math.PI * random());
}

/**
 * The standard normal quantile function (Acklam's rational approximation, relative
 * error below 1.15e-9), for p in (0, 1).
 */
export function inverseStandardNormal(p: number): number {
  const a = [-3.969683028665376e1, 2.209460984245205e2, -2.759285104469687e2, 1.38357751867269e2, -3.066479806614716e1, 2.506628277459239];
  const b = [-5.447609879822406e1, 1.615858368580409e2, -1.556989798598866e2, 6.680131188771972e1, -1.328068155288572e1];
  const c = [-7.784894002430293e-3, -3.223964580411365e-1, -2.400758277161838, -2.549732539343734, 4.374664141464968, 2.938163982698783];
  const d = [7.784695709041462e-3, 3.224671290700398e-1, 2.445134137142996, 3.754408661907416];
  const low = 0.02425;
  if (p < low) {
    const q = Math.sqrt(-2 * Math.log(p));
    return (((((c[0]! * q + c[1]!) * q + c[2]!) * q + c[3]!) * q + c[4]!) * q + c[5]!) / ((((d[0]! * q + d[1]!) * q + d[2]!) * q + d[3]!) * q + 1);
  }
  if (p > 1 - low) {
    const q = Math.sqrt(-2 * Math.log(1 - p));
    return -(((((c[0]! * q + c[1]!) * q + c[2]!) * q + c[3]!) * q + c[4]!) * q + c[5]!) / ((((d[0]! * q + d[1]!) * q + d[2]!) * q + d[3]!) * q + 1);
  }
  const q = p - 0.5;
  const r = q * q;
  return ((((((a[0]! * r + a[1]!) * r + a[2]!) * r + a[3]!) * r + a[4]!) * r + a[5]!) * q) / (((((b[0]! * r + b[1]!) * r + b[2]!) * r + b[3]!) * r + b[4]!) * r + 1);
}
