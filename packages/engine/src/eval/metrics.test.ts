import { describe, expect, it } from "vitest";
import {
  agreement,
  argmaxLastAxis,
  cosineSimilarity,
  maxAbsError,
  meanAbsError,
  meanSquaredError,
  perSampleMse,
  quantile,
} from "./metrics";

describe("metrics", () => {
  it("cosine similarity", () => {
    expect(cosineSimilarity([1, 0], [1, 0])).toBe(1);
    expect(cosineSimilarity([1, 0], [0, 1])).toBe(0);
    expect(cosineSimilarity([1, 2], [-1, -2])).toBeCloseTo(-1);
    expect(cosineSimilarity([0, 0], [0, 0])).toBe(1);
    expect(cosineSimilarity([0, 0], [1, 0])).toBe(0);
    expect(cosineSimilarity([9, 1, 0, 9], [9, 0, 1, 9], 1, 3)).toBe(0);
  });

  it("errors, argmax, agreement, quantile", () => {
    expect(maxAbsError([1, 2, 3], [1, 2.5, 2])).toBe(1);
    expect(meanAbsError([1, 2], [2, 4])).toBe(1.5);
    expect(Array.from(argmaxLastAxis([0, 3, 1, 5, 4, 2], 3))).toEqual([1, 0]);
    expect(agreement([1, 2, 3, 4], [1n, 2n, 0n, 4n])).toBe(0.75);
    expect(quantile([5, 1, 3, 2, 4], 0.5)).toBe(3);
    expect(quantile([1, 2, 3, 4], 0.9)).toBe(4);
  });

  it("mean squared error, overall and per sample", () => {
    expect(meanSquaredError([1, 2, 3], [1, 4, 0])).toBeCloseTo((0 + 4 + 9) / 3, 12);
    expect(meanSquaredError([1, 2, 3, 4], [0, 0, 0, 0], 2, 4)).toBeCloseTo((9 + 16) / 2, 12);
    expect(meanSquaredError([], [])).toBe(0);
    expect(Array.from(perSampleMse([1, 1, 2, 2, 0, 0], [0, 0, 0, 0, 0, 3], 3))).toEqual([1, 4, 4.5]);
  });
});
