/** Pure comparison metrics between a reference output and a candidate output. */

export type NumericArray = ArrayLike<number>;

/** Cosine similarity of two equally long vectors; 1 when both are all zeros, 0 when only one is. */
export function cosineSimilarity(a: NumericArray, b: NumericArray, start = 0, end = a.length): number {
  let dot = 0;
  let na = 0;
  let nb = 0;
  for (let i = start; i < end; i++) {
    const x = a[i] as number;
    const y = b[i] as number;
    dot += x * y;
    na += x * x;
    nb += y * y;
  }
  if (na === 0 && nb === 0) return 1;
  if (na === 0 || nb === 0) return 0;
  return dot / Math.sqrt(na * nb);
}

export function maxAbsError(a: NumericArray, b: NumericArray): number {
  let max = 0;
  for (let i = 0; i < a.length; i++) max = Math.max(max, Math.abs((a[i] as number) - (b[i] as number)));
  return max;
}

export function meanAbsError(a: NumericArray, b: NumericArray): number {
  if (a.length === 0) return 0;
  let sum = 0;
  for (let i = 0; i < a.length; i++) sum += Math.abs((a[i] as number) - (b[i] as number));
  return sum / a.length;
}

/** Index of the largest value along the last axis, for every position of the leading axes. */
export function argmaxLastAxis(data: NumericArray, lastDim: number): Int32Array {
  const rows = Math.floor(data.length / lastDim);
  const out = new Int32Array(rows);
  for (let r = 0; r < rows; r++) {
    let best = 0;
    let bestValue = Number.NEGATIVE_INFINITY;
    for (let c = 0; c < lastDim; c++) {
      const v = data[r * lastDim + c] as number;
      if (v > bestValue) {
        bestValue = v;
        best = c;
      }
    }
    out[r] = best;
  }
  return out;
}

/** Fraction of positions where two label arrays agree. */
export function agreement(a: ArrayLike<number | bigint>, b: ArrayLike<number | bigint>): number {
  if (a.length === 0) return 1;
  let same = 0;
  for (let i = 0; i < a.length; i++) if (Number(a[i]) === Number(b[i])) same++;
  return same / a.length;
}

/** Value at quantile q (0–1) of a list, by nearest rank on a sorted copy. */
export function quantile(values: readonly number[], q: number): number {
  if (values.length === 0) return Number.NaN;
  const sorted = [...values].sort((x, y) => x - y);
  const rank = Math.min(sorted.length - 1, Math.max(0, Math.ceil(q * sorted.length) - 1));
  return sorted[rank] as number;
}

/** Mean of squared differences over [start, end). */
export function meanSquaredError(a: NumericArray, b: NumericArray, start = 0, end = a.length): number {
  if (end <= start) return 0;
  let sum = 0;
  for (let i = start; i < end; i++) {
    const d = (a[i] as number) - (b[i] as number);
    sum += d * d;
  }
  return sum / (end - start);
}

/** Mean squared error of each of `samples` equally sized consecutive chunks (e.g. per-window reconstruction error). */
export function perSampleMse(a: NumericArray, b: NumericArray, samples: number): Float64Array {
  const per = samples > 0 ? Math.floor(a.length / samples) : 0;
  const out = new Float64Array(samples);
  for (let s = 0; s < samples; s++) out[s] = meanSquaredError(a, b, s * per, (s + 1) * per);
  return out;
}
