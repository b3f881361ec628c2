/** Tolerance checks for comparing a rewritten model's outputs with the original's. */
import { expect } from "vitest";
import { cosineSimilarity, maxAbsError } from "../src/eval/metrics";
import type { RuntimeTensor } from "../src/types";

export interface Tolerance {
  /** Minimum cosine similarity of the flattened outputs. */
  cosine: number;
  /** Maximum absolute element difference, relative to the reference's largest magnitude. */
  relativeMaxAbs?: number;
}

export function expectOutputsClose(
  reference: RuntimeTensor,
  candidate: RuntimeTensor,
  tolerance: Tolerance,
): void {
  expect(candidate.dims).toEqual(reference.dims);
  const a = reference.data as Float32Array;
  const b = candidate.data as Float32Array;
  expect(cosineSimilarity(a, b)).toBeGreaterThan(tolerance.cosine);
  if (tolerance.relativeMaxAbs !== undefined) {
    const peak = a.reduce((m, v) => Math.max(m, Math.abs(v)), 0);
    expect(maxAbsError(a, b)).toBeLessThanOrEqual(tolerance.relativeMaxAbs * peak);
  }
}
