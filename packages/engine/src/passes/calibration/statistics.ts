/**
 * Streaming activation statistics for calibration: exact min/max per tensor and a histogram of |x|
 * over [0, max |x|] (known from a first min/max pass), so memory stays bounded by the bin count however
 * much calibration data flows through.
 */

export interface TensorRange {
  min: number;
  max: number;
}

export interface RangeStatistics extends TensorRange {
  /** Finite values seen. */
  count: number;
  /** NaN/±Infinity values seen (ignored for the range). */
  nonFinite: number;
}

/** Counts of |x| in `counts.length` equal bins over [0, maxAbs]; values above maxAbs land in the last bin. */
export interface AbsHistogram {
  counts: Float64Array;
  maxAbs: number;
  binWidth: number;
  total: number;
}

export const DEFAULT_HISTOGRAM_BINS = 2048;

export function createRangeStatistics(): RangeStatistics {
  return { min: Number.POSITIVE_INFINITY, max: Number.NEGATIVE_INFINITY, count: 0, nonFinite: 0 };
}

export function updateRangeStatistics(stats: RangeStatistics, data: ArrayLike<number>): void {
  let { min, max, count, nonFinite } = stats;
  for (let i = 0; i < data.length; i++) {
    const v = data[i] as number;
    if (!Number.isFinite(v)) {
      nonFinite++;
      continue;
    }
    if (v < min) min = v;
    if (v > max) max = v;
    count++;
  }
  Object.assign(stats, { min, max, count, nonFinite });
}

export function createAbsHistogram(maxAbs: number, bins = DEFAULT_HISTOGRAM_BINS): AbsHistogram {
  if (!(bins >= 1)) throw new RangeError(`a histogram needs at least one bin (got ${bins})`);
  const top = maxAbs > 0 && Number.isFinite(maxAbs) ? maxAbs : 1;
  return { counts: new Float64Array(bins), maxAbs: top, binWidth: top / bins, total: 0 };
}

export function updateAbsHistogram(histogram: AbsHistogram, data: ArrayLike<number>): void {
  const { counts, binWidth } = histogram;
  const last = counts.length - 1;
  let total = 0;
  for (let i = 0; i < data.length; i++) {
    const v = Math.abs(data[i] as number);
    if (!Number.isFinite(v)) continue;
    const bin = Math.min(last, Math.floor(v / binWidth));
    counts[bin] = (counts[bin] as number) + 1;
    total++;
  }
  histogram.total += total;
}
