import { describe, expect, it } from "vitest";
import { averageRanks, pearsonCorrelation, spearmanRho } from "./rank-metrics";

describe("rank metrics", () => {
  it("gives tied values the mean of the ranks they span", () => {
    expect(Array.from(averageRanks([5, 7, 7]))).toEqual([1, 2.5, 2.5]);
    expect(Array.from(averageRanks([3, 1, 3, 3, 0]))).toEqual([4, 2, 4, 4, 1]);
    expect(Array.from(averageRanks([]))).toEqual([]);
  });

  it("Spearman ρ is 1 for any monotone transform and −1 for a reversal", () => {
    const x = [0.3, 0.1, 0.9, 0.5, 0.7];
    expect(
      spearmanRho(
        x,
        x.map((v) => Math.exp(10 * v)),
      ),
    ).toBeCloseTo(1, 12);
    expect(
      spearmanRho(
        x,
        x.map((v) => -v),
      ),
    ).toBeCloseTo(-1, 12);
  });

  it("handles ties like scipy.stats.spearmanr", () => {
    // spearmanr([1, 2, 2, 3], [1, 2, 3, 4]) = 0.9486832980505138
    expect(spearmanRho([1, 2, 2, 3], [1, 2, 3, 4])).toBeCloseTo(0.9486832980505138, 12);
    // spearmanr([1, 1, 2, 2], [2, 2, 1, 1]) = -1
    expect(spearmanRho([1, 1, 2, 2], [2, 2, 1, 1])).toBeCloseTo(-1, 12);
  });

  it("defines the degenerate cases: both constant → 1, one constant → 0", () => {
    expect(spearmanRho([2, 2, 2], [5, 5, 5])).toBe(1);
    expect(spearmanRho([2, 2, 2], [1, 2, 3])).toBe(0);
    expect(pearsonCorrelation([1, 2, 3], [2, 4, 6])).toBeCloseTo(1, 12);
  });
});
