import { describe, expect, it } from "vitest";
import { createRng, deriveSeed } from "./prng";

describe("seeded PRNG", () => {
  it("repeats exactly for the same seed and differs for another", () => {
    const a = createRng(42);
    const b = createRng(42);
    const c = createRng(43);
    const seqA = Array.from({ length: 5 }, () => a.next());
    expect(Array.from({ length: 5 }, () => b.next())).toEqual(seqA);
    expect(Array.from({ length: 5 }, () => c.next())).not.toEqual(seqA);
  });

  it("is uniform in [0, 1) and its exponential has mean 1 / rate", () => {
    const rng = createRng(7);
    let sum = 0;
    let min = 1;
    let max = 0;
    const n = 20_000;
    for (let i = 0; i < n; i++) {
      const x = rng.next();
      sum += x;
      min = Math.min(min, x);
      max = Math.max(max, x);
    }
    expect(min).toBeGreaterThanOrEqual(0);
    expect(max).toBeLessThan(1);
    expect(sum / n).toBeCloseTo(0.5, 1);
    let gaps = 0;
    for (let i = 0; i < n; i++) gaps += rng.exponential(4);
    expect(gaps / n).toBeCloseTo(0.25, 1);
    expect(rng.exponential(0)).toBe(Number.POSITIVE_INFINITY);
  });

  it("derives unrelated streams for neighbouring device indices", () => {
    const seeds = new Set(Array.from({ length: 1000 }, (_, i) => deriveSeed(1, i)));
    expect(seeds.size).toBe(1000);
    const first = Array.from({ length: 50 }, (_, i) => createRng(deriveSeed(1, i)).next());
    // First draws of neighbouring streams spread over the interval instead of clustering.
    expect(Math.max(...first) - Math.min(...first)).toBeGreaterThan(0.8);
    expect(deriveSeed(1, 2, 3)).toBe(deriveSeed(1, 2, 3));
    expect(deriveSeed(1, 2, 3)).not.toBe(deriveSeed(1, 3, 2));
  });
});
