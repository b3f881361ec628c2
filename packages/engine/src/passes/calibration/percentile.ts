/**
 * percentile calibration: clip |x| at the given percentile of its distribution (e.g. 99.99 drops the
 * 0.01 % largest magnitudes), so a few outliers do not stretch the quantization grid for everything else.
 */
import { clipRange } from "./minmax";
import type { AbsHistogram, RangeStatistics, TensorRange } from "./statistics";

export const DEFAULT_PERCENTILE = 99.99;

/** Smallest bin edge below which at least `percentile` % of the histogram's values lie. */
export function computePercentileThreshold(histogram: AbsHistogram, percentile: number): number {
  if (!(percentile > 0 && percentile <= 100)) {
    throw new RangeError(`percentile must be in (0, 100], got ${percentile}`);
  }
  if (histogram.total === 0) return 0;
  const target = (histogram.total * percentile) / 100;
  let cumulative = 0;
  for (let i = 0; i < histogram.counts.length; i++) {
    cumulative += histogram.counts[i] as number;
    if (cumulative >= target) return (i + 1) * histogram.binWidth;
  }
  return histogram.maxAbs;
}

export function computePercentileRange(
  stats: RangeStatistics,
  histogram: AbsHistogram,
  percentile = DEFAULT_PERCENTILE,
): TensorRange {
  return clipRange(stats, computePercentileThreshold(histogram, percentile));
}
