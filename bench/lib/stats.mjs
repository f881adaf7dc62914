/*
 * Small order statistics for benchmark reports: median and nearest-rank percentiles over the
 * defined values of a sample (undefined entries are measurements that did not happen).
 */

/** Sorted copy of the finite numbers in `values`. */
function sorted(values) {
  return values.filter((v) => typeof v === "number" && Number.isFinite(v)).sort((a, b) => a - b);
}

/** Nearest-rank percentile p (0..100) of the finite values, or undefined when there are none. */
export function percentile(values, p) {
  const s = sorted(values);
  if (s.length === 0) return undefined;
  const rank = Math.max(1, Math.ceil((p / 100) * s.length));
  return s[rank - 1];
}

/** Median (mean of the two middle values for an even count), or undefined when empty. */
export function median(values) {
  const s = sorted(values);
  if (s.length === 0) return undefined;
  const mid = Math.floor(s.length / 2);
  return s.length % 2 === 1 ? s[mid] : (s[mid - 1] + s[mid]) / 2;
}

/** Sum of the finite values. */
export function sum(values) {
  return sorted(values).reduce((a, b) => a + b, 0);
}
