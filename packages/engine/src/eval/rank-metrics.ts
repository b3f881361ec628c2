/** Rank statistics: Spearman's ρ with average ranks for ties. */
import type { NumericArray } from "./metrics";

/** 1-based ranks; tied values share the mean of the ranks they span (e.g. [5, 7, 7] → [1, 2.5, 2.5]). */
export function averageRanks(values: NumericArray): Float64Array {
  const order = Array.from({ length: values.length }, (_, i) => i).sort(
    (a, b) => (values[a] as number) - (values[b] as number),
  );
  const ranks = new Float64Array(values.length);
  for (let i = 0; i < order.length; ) {
    let j = i;
    while (j + 1 < order.length && values[order[j + 1] as number] === values[order[i] as number]) j++;
    const rank = (i + j) / 2 + 1;
    for (let k = i; k <= j; k++) ranks[order[k] as number] = rank;
    i = j + 1;
  }
  return ranks;
}

/** Pearson correlation; 1 when both series are constant, 0 when only one is (no ranking to compare). */
export function pearsonCorrelation(a: NumericArray, b: NumericArray): number {
  const n = a.length;
  if (n === 0) return 1;
  let meanA = 0;
  let meanB = 0;
  for (let i = 0; i < n; i++) {
    meanA += a[i] as number;
    meanB += b[i] as number;
  }
  meanA /= n;
  meanB /= n;
  let cov = 0;
  let varA = 0;
  let varB = 0;
  for (let i = 0; i < n; i++) {
    const da = (a[i] as number) - meanA;
    const db = (b[i] as number) - meanB;
    cov += da * db;
    varA += da * da;
    varB += db * db;
  }
  if (varA === 0 && varB === 0) return 1;
  if (varA === 0 || varB === 0) return 0;
  return Math.min(1, Math.max(-1, cov / Math.sqrt(varA * varB)));
}

/** Spearman's rank correlation: Pearson correlation of the average ranks. */
export function spearmanRho(a: NumericArray, b: NumericArray): number {
  return pearsonCorrelation(averageRanks(a), averageRanks(b));
}
