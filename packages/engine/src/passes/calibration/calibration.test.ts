import { describe, expect, it } from "vitest";
import { randomFloats } from "../../../test/fixtures";
import { computeEntropyRange, computeEntropyThreshold } from "./entropy";
import { computeMinMaxRange } from "./minmax";
import { computePercentileRange, computePercentileThreshold } from "./percentile";
import {
  createAbsHistogram,
  createRangeStatistics,
  type RangeStatistics,
  updateAbsHistogram,
  updateRangeStatistics,
} from "./statistics";

/** Deterministic N(0, 1) samples (Box–Muller over the fixtures' LCG). */
function gaussian(count: number, seed: number): Float32Array {
  const u = randomFloats(count * 2, seed, 0.5).map((v) => v + 0.5);
  return Float32Array.from({ length: count }, (_, i) => {
    const u1 = Math.max(1e-12, u[2 * i] as number);
    return Math.sqrt(-2 * Math.log(u1)) * Math.cos(2 * Math.PI * (u[2 * i + 1] as number));
  });
}

/** Statistics and |x| histogram of values fed in several batches, as calibration does. */
function observe(values: Float32Array, batches = 4, bins = 2048) {
  const range = createRangeStatistics();
  const size = Math.ceil(values.length / batches);
  for (let i = 0; i < values.length; i += size) updateRangeStatistics(range, values.subarray(i, i + size));
  const histogram = createAbsHistogram(Math.max(-range.min, range.max), bins);
  for (let i = 0; i < values.length; i += size) updateAbsHistogram(histogram, values.subarray(i, i + size));
  return { range, histogram };
}

describe("calibration statistics", () => {
  it("minmax: the exact range over batches, widened to include 0, ignoring non-finite values", () => {
    const stats = createRangeStatistics();
    updateRangeStatistics(stats, Float32Array.of(0.5, 2, 1.25));
    updateRangeStatistics(stats, Float32Array.of(3, Number.NaN, 0.75, Number.POSITIVE_INFINITY));
    expect(stats).toMatchObject({ min: 0.5, max: 3, count: 5, nonFinite: 2 });
    expect(computeMinMaxRange(stats)).toEqual({ min: 0, max: 3 });
    const signed: RangeStatistics = { min: -1.5, max: -0.25, count: 2, nonFinite: 0 };
    expect(computeMinMaxRange(signed)).toEqual({ min: -1.5, max: 0 });
    expect(computeMinMaxRange(createRangeStatistics())).toEqual({ min: 0, max: 0 });
  });

  it("histogram: |x| counts with everything in range, the maximum in the last bin", () => {
    const { histogram } = observe(Float32Array.of(-4, -1, 0, 0.5, 1, 3.99, 4), 2, 4);
    expect(histogram.binWidth).toBe(1);
    expect(Array.from(histogram.counts)).toEqual([2, 2, 0, 3]);
    expect(histogram.total).toBe(7);
  });

  it("percentile: clips a single outlier that minmax keeps", () => {
    const values = randomFloats(20_000, 3, 0.5).map((v) => v + 0.5); // uniform [0, 1)
    values[1234] = 20; // one outlier
    const { range, histogram } = observe(values);
    expect(computeMinMaxRange(range).max).toBe(20);
    const clipped = computePercentileRange(range, histogram, 99.99);
    expect(clipped.min).toBe(0);
    expect(clipped.max).toBeGreaterThanOrEqual(0.999);
    expect(clipped.max).toBeLessThan(1.01 + histogram.binWidth);
    expect(computePercentileThreshold(histogram, 100)).toBeCloseTo(20, 5);
    expect(computePercentileThreshold(histogram, 50)).toBeCloseTo(0.5, 1);
    expect(() => computePercentileThreshold(histogram, 0)).toThrow(RangeError);
  });

  it("entropy: keeps light tails, clips heavy ones, ignores outliers and the zero spike of a Relu", () => {
    const uniform = observe(randomFloats(50_000, 5, 0.5).map((v) => v + 0.5));
    expect(computeEntropyRange(uniform.range, uniform.histogram).max).toBeGreaterThan(0.95);

    const normal = gaussian(200_000, 7);
    const observed = observe(normal);
    const maxAbs = Math.max(-observed.range.min, observed.range.max);
    const threshold = computeEntropyThreshold(observed.histogram, 128);
    expect(threshold).toBeGreaterThan(3.5); // few, smooth tail values: KL keeps nearly all of N(0, 1)
    expect(threshold).toBeLessThanOrEqual(maxAbs + observed.histogram.binWidth);
    expect(computeEntropyRange(observed.range, observed.histogram)).toEqual({
      min: Math.max(observed.range.min, -threshold),
      max: Math.min(observed.range.max, threshold),
    });

    // Laplace (heavy tail): the threshold drops well inside the observed range.
    const laplace = gaussian(200_000, 9).map((_, i) => {
      const u = (randomFloats(1, 1000 + i, 0.5)[0] as number) + 0.5;
      return (i % 2 ? 1 : -1) * -Math.log(Math.max(1e-12, u));
    });
    const heavy = observe(laplace);
    expect(computeEntropyThreshold(heavy.histogram, 128)).toBeLessThan(
      0.9 * Math.max(-heavy.range.min, heavy.range.max),
    );

    normal[0] = 60; // an outlier stretches minmax ~13×, the entropy threshold barely moves
    const withOutlier = observe(normal);
    expect(computeMinMaxRange(withOutlier.range).max).toBe(60);
    expect(computeEntropyThreshold(withOutlier.histogram, 128)).toBeLessThan(threshold * 1.5);

    // Post-Relu: half exact zeros. Without flattening the zero bin the threshold would collapse.
    const relu = gaussian(200_000, 11).map((v, i) => (i % 2 ? Math.abs(v) : 0));
    const rectified = observe(relu);
    const reluThreshold = computeEntropyRange(rectified.range, rectified.histogram).max;
    expect(rectified.range.min).toBe(0);
    expect(reluThreshold).toBeGreaterThan(
      0.75 * computeEntropyThreshold(observe(relu.filter((v) => v > 0)).histogram, 256),
    );
  });
});
