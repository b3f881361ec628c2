import { describe, expect, it } from "vitest";
import { EvaluationError } from "../errors";
import { meanKlDivergence, meanNegativeLogLikelihood } from "./logit-metrics";

describe("KL divergence of softmax over the last axis", () => {
  it("is 0 for identical logits and invariant to a constant shift per row", () => {
    expect(meanKlDivergence([1, 2, 3, -1, 0, 1], [1, 2, 3, -1, 0, 1], 3)).toBe(0);
    expect(meanKlDivergence([1, 2, 3], [11, 12, 13], 3)).toBeCloseTo(0, 12);
  });

  it("matches a hand-computed value: KL([½, ½] ‖ [¾, ¼]) = ½ ln(4/3)", () => {
    // softmax([0, 0]) = [0.5, 0.5]; softmax([ln 3, 0]) = [0.75, 0.25]
    expect(meanKlDivergence([0, 0], [Math.log(3), 0], 2)).toBeCloseTo(0.5 * Math.log(4 / 3), 12);
  });

  it("averages over rows (every position of the leading axes) and is asymmetric", () => {
    const one = meanKlDivergence([0, 0], [Math.log(3), 0], 2);
    expect(meanKlDivergence([0, 0, 5, 5], [Math.log(3), 0, 5, 5], 2)).toBeCloseTo(one / 2, 12);
    expect(meanKlDivergence([Math.log(3), 0], [0, 0], 2)).not.toBeCloseTo(one, 6);
  });

  it("stays finite for large logits", () => {
    const kl = meanKlDivergence([1000, 0], [999, 0], 2);
    expect(Number.isFinite(kl)).toBe(true);
    expect(kl).toBeGreaterThanOrEqual(0);
  });
});

describe("mean negative log-likelihood", () => {
  it("is ln V for uniform logits", () => {
    expect(meanNegativeLogLikelihood([3, 3, 3, 3], 4, [2])).toBeCloseTo(Math.log(4), 12);
  });

  it("classification: labels [N] against logits [N, C]", () => {
    // row 0: softmax([0, ln 3]) = [¼, ¾], label 1 → −ln ¾; row 1: label 0 → −ln ¼
    const nll = meanNegativeLogLikelihood([0, Math.log(3), 0, Math.log(3)], 2, [1, 0]);
    expect(nll).toBeCloseTo((-Math.log(0.75) - Math.log(0.25)) / 2, 12);
  });

  it("next token: labels [N, T] (bigint) against logits [N, T, V], averaged over all positions", () => {
    const logits = [0, 0, 0, Math.log(3), 0, 0, Math.log(3), 0]; // N=2, T=2, V=2
    const labels = BigInt64Array.from([0n, 1n, 1n, 0n]);
    const expected = (Math.log(2) - Math.log(0.75) + Math.log(2) - Math.log(0.75)) / 4;
    expect(meanNegativeLogLikelihood(logits, 2, labels)).toBeCloseTo(expected, 12);
  });

  it("rejects labels outside the class range or too few labels", () => {
    expect(() => meanNegativeLogLikelihood([0, 0], 2, [2])).toThrowError(EvaluationError);
    expect(() => meanNegativeLogLikelihood([0, 0], 2, [-1])).toThrowError(/not a class index in \[0, 2\)/);
    expect(() => meanNegativeLogLikelihood([0, 0, 0, 0], 2, [1])).toThrowError(/1 labels for 2 predictions/);
  });
});
