/*
 * Small statistics helpers for reports: percentile summaries over a sample (nearest-rank on a
 * sorted copy) and a fixed-bin histogram. Pure functions; the simulator's metrics feed them.
 */

/** p50 / p99 / max (and count, mean, min) of a sample; every field is null for an empty sample. */
export interface Summary {
  readonly count: number;
  readonly min: number | null;
  readonly mean: number | null;
  readonly p50: number | null;
  readonly p99: number | null;
  readonly max: number | null;
}

/** Nearest-rank percentile of an ascending array: the smallest value with at least q of the sample at or below it. */
export function percentile(sorted: ArrayLike<number>, q: number): number | null {
  const n = sorted.length;
  if (n === 0) return null;
  const rank = Math.min(n, Math.max(1, Math.ceil(q * n)));
  return sorted[rank - 1] as number;
}

/** Summarises `values` (not modified). */
export function summarize(values: ArrayLike<number>): Summary {
  const sorted = Float64Array.from(values as ArrayLike<number>).sort();
  const n = sorted.length;
  if (n === 0) return {count: 0, min: null, mean: null, p50: null, p99: null, max: null};
  let sum = 0;
  for (let i = 0; i < n; i++) sum += sorted[i] as number;
  return {
    count: n,
    min: sorted[0] as number,
    mean: sum / n,
    p50: percentile(sorted, 0.5),
    p99: percentile(sorted, 0.99),
    max: sorted[n - 1] as number,
  };
}

/** One bin of a histogram: values in [fromMs, toMs). */
export interface HistogramBin {
  readonly from: number;
  readonly to: number;
  readonly count: number;
}

/** A histogram of `values` with `bins` equal-width bins between the minimum and the maximum. */
export function histogram(values: ArrayLike<number>, bins: number): HistogramBin[] {
  const n = values.length;
  if (n === 0) return [];
  let lo = Number.POSITIVE_INFINITY;
  let hi = Number.NEGATIVE_INFINITY;
  for (let i = 0; i < n; i++) {
    const v = values[i] as number;
    if (v < lo) lo = v;
    if (v > hi) hi = v;
  }
  if (hi === lo) return [{from: lo, to: lo + 1, count: n}];
  const width = (hi - lo) / bins;
  const counts = new Array<number>(bins).fill(0);
  for (let i = 0; i < n; i++) {
    const b = Math.min(bins - 1, Math.floor(((values[i] as number) - lo) / width));
    counts[b] = (counts[b] as number) + 1;
  }
  return counts.map((count, i) => ({from: lo + i * width, to: lo + (i + 1) * width, count}));
}
