/** minmax calibration: the observed range, always widened to include 0 (so zero is exactly representable). */
import type { RangeStatistics, TensorRange } from "./statistics";

export function computeMinMaxRange(stats: RangeStatistics): TensorRange {
  if (stats.count === 0) return { min: 0, max: 0 };
  return { min: Math.min(0, stats.min), max: Math.max(0, stats.max) };
}

/** Narrows an observed range to the symmetric clip [-threshold, threshold] (keeping 0 inside). */
export function clipRange(stats: RangeStatistics, threshold: number): TensorRange {
  const range = computeMinMaxRange(stats);
  return { min: Math.max(range.min, -threshold), max: Math.min(range.max, threshold) };
}
