import { describe, expect, it } from "vitest";
import { createRng } from "./prng";
import { DEFAULT_PRIORITY_SHARES, nextArrivalGapS, parsePriorityShares, pickPriority } from "./request-mix";

describe("request mix", () => {
  it("parses and normalises priority weights", () => {
    expect(parsePriorityShares("critical=1,normal=7,background=2")).toEqual({
      critical: 0.1,
      normal: 0.7,
      background: 0.2,
    });
    expect(parsePriorityShares("normal=3")).toEqual({ critical: 0, normal: 1, background: 0 });
    expect(() => parsePriorityShares("urgent=1")).toThrowError(/critical, normal, background/);
    expect(() => parsePriorityShares("normal=-1")).toThrowError(/≥ 0/);
    expect(() => parsePriorityShares("normal=0")).toThrowError(/> 0/);
  });

  it("draws priorities in proportion to their shares, reproducibly", () => {
    const draw = (seed: number) => {
      const rng = createRng(seed);
      const counts = { critical: 0, normal: 0, background: 0 };
      for (let i = 0; i < 10_000; i++) counts[pickPriority(rng, DEFAULT_PRIORITY_SHARES)]++;
      return counts;
    };
    const counts = draw(5);
    expect(counts.critical / 10_000).toBeCloseTo(0.1, 1);
    expect(counts.normal / 10_000).toBeCloseTo(0.7, 1);
    expect(counts.background / 10_000).toBeCloseTo(0.2, 1);
    expect(draw(5)).toEqual(counts);
  });

  it("spaces arrivals as a Poisson process at the given rate", () => {
    const rng = createRng(11);
    let total = 0;
    for (let i = 0; i < 10_000; i++) total += nextArrivalGapS(rng, 2);
    expect(total / 10_000).toBeCloseTo(0.5, 1);
  });
});
