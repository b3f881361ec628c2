/**
 * entropy calibration (TensorRT-style): choose the clip threshold T on |x| that minimises the
 * KL divergence between the observed distribution clipped at T (outliers folded into the last bin)
 * and the same distribution after quantizing [0, T] into `targetBins` levels and expanding it back.
 * The search runs over the histogram's bin edges, from `targetBins` bins up to all of them (coarse, then
 * fine around the best), in one O(bins) pass per candidate.
 */
import { clipRange } from "./minmax";
import type { AbsHistogram, RangeStatistics, TensorRange } from "./statistics";

/** Mass moved into empty bins so the divergence stays finite (as MXNet/TensorRT calibrators do). */
const SMOOTHING = 1e-4;
const COARSE_CANDIDATES = 256;

/**
 * KL(P‖Q) for the candidate that keeps the first `i` bins. P = counts[0, i) with the outliers added to
 * bin i − 1; Q = counts[0, i) merged into `targetBins` blocks, each block's sum spread evenly over the
 * bins where P is non-zero. Both are smoothed (ε into empty bins, taken evenly from the others).
 * Returns Infinity when smoothing is impossible.
 */
function divergenceAt(
  counts: Float64Array,
  prefix: Float64Array,
  nonZeroPrefix: Int32Array,
  outliers: number,
  i: number,
  targetBins: number,
): number {
  const last = (counts[i - 1] as number) + outliers;
  const lastNonZero = last !== 0 ? 1 : 0;
  const pNonZero = (nonZeroPrefix[i - 1] as number) + lastNonZero;
  const pZeros = i - pNonZero;
  if (pNonZero === 0) return Number.POSITIVE_INFINITY;
  const pTake = (SMOOTHING * pZeros) / pNonZero;
  if (pTake >= 1) return Number.POSITIVE_INFINITY;
  const merged = Math.floor(i / targetBins);
  // First pass: Q's empty bins (P empty, or a block whose counts sum to 0).
  let qZeros = 0;
  for (let j = 0; j < targetBins; j++) {
    const start = j * merged;
    const stop = j === targetBins - 1 ? i : start + merged;
    const nonZero = blockNonZero(nonZeroPrefix, counts, start, stop, i, lastNonZero);
    const sum = (prefix[stop] as number) - (prefix[start] as number);
    qZeros += sum > 0 ? stop - start - nonZero : stop - start;
  }
  const qNonZero = i - qZeros;
  if (qNonZero === 0) return Number.POSITIVE_INFINITY;
  const qTake = (SMOOTHING * qZeros) / qNonZero;
  const sumP = (prefix[i] as number) + outliers;
  const sumQ = prefix[i] as number;
  let kl = 0;
  for (let j = 0; j < targetBins; j++) {
    const start = j * merged;
    const stop = j === targetBins - 1 ? i : start + merged;
    const nonZero = blockNonZero(nonZeroPrefix, counts, start, stop, i, lastNonZero);
    const sum = (prefix[stop] as number) - (prefix[start] as number);
    const level = nonZero > 0 ? sum / nonZero : 0;
    for (let k = start; k < stop; k++) {
      const p = k === i - 1 ? last : (counts[k] as number);
      const q = p === 0 ? 0 : level;
      const ps = p === 0 ? SMOOTHING : p - pTake;
      const qs = q === 0 ? SMOOTHING : Math.max(q - qTake, SMOOTHING);
      kl += (ps / sumP) * Math.log(ps / sumP / (qs / sumQ));
    }
  }
  return kl;
}

/** Non-zero P bins in [start, stop) for the candidate keeping `i` bins (bin i − 1 carries the outliers). */
function blockNonZero(
  nonZeroPrefix: Int32Array,
  counts: Float64Array,
  start: number,
  stop: number,
  i: number,
  lastNonZero: number,
): number {
  let nonZero = (nonZeroPrefix[stop] as number) - (nonZeroPrefix[start] as number);
  if (stop === i) nonZero += lastNonZero - (counts[i - 1] !== 0 ? 1 : 0);
  return nonZero;
}

/** The KL-optimal |x| threshold for a histogram; `targetBins` is the number of quantized levels over [0, T]. */
export function computeEntropyThreshold(histogram: AbsHistogram, targetBins: number): number {
  const bins = histogram.counts.length;
  if (histogram.total === 0) return 0;
  if (bins <= targetBins) return histogram.maxAbs;
  // The first bin holds every exact zero (half of a post-Relu tensor): left as is, that spike dominates
  // the divergence and drives the threshold to the smallest candidate. Like TensorRT's calibrator, give
  // it the height of its neighbour.
  const counts = Float64Array.from(histogram.counts);
  counts[0] = counts[1] as number;
  const prefix = new Float64Array(bins + 1);
  const nonZeroPrefix = new Int32Array(bins + 1);
  for (let k = 0; k < bins; k++) {
    prefix[k + 1] = (prefix[k] as number) + (counts[k] as number);
    nonZeroPrefix[k + 1] = (nonZeroPrefix[k] as number) + (counts[k] !== 0 ? 1 : 0);
  }
  const total = prefix[bins] as number;
  let best = bins;
  let bestDivergence = Number.POSITIVE_INFINITY;
  const visit = (i: number) => {
    const divergence = divergenceAt(
      counts,
      prefix,
      nonZeroPrefix,
      total - (prefix[i] as number),
      i,
      targetBins,
    );
    if (divergence < bestDivergence) {
      bestDivergence = divergence;
      best = i;
    }
  };
  // Coarse scan over ~256 candidates, then every candidate around the best one: the divergence curve is
  // smooth at this scale, and this is ~6× cheaper than visiting all of them.
  const step = Math.max(1, Math.floor((bins - targetBins) / COARSE_CANDIDATES));
  for (let i = targetBins; i <= bins; i += step) visit(i);
  visit(bins);
  const center = best;
  for (let i = Math.max(targetBins, center - step + 1); i <= Math.min(bins, center + step - 1); i++) visit(i);
  return best * histogram.binWidth;
}

/**
 * Range from the entropy threshold: tensors that are never negative get the whole 8-bit grid over
 * [0, T] (256 levels), signed ones a symmetric [-T, T] with 128 levels per side.
 */
export function computeEntropyRange(stats: RangeStatistics, histogram: AbsHistogram): TensorRange {
  const targetBins = stats.min >= 0 ? 256 : 128;
  return clipRange(stats, computeEntropyThreshold(histogram, targetBins));
}
