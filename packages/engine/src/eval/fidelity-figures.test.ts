import { describe, expect, it } from "vitest";
import type { NpyArray } from "../data/npy";
import type { EvaluationSet } from "./dataset";
import type { CollectedOutputs } from "./evaluate";
import { computeOutputFigures, detectOutputKind } from "./fidelity-figures";
import { meanKlDivergence } from "./logit-metrics";

const outputs = (name: string, sampleDims: number[], data: number[]): CollectedOutputs =>
  new Map([[name, { sampleDims, data: Float64Array.from(data) }]]);

function set(input: NpyArray, samples: number, labels?: NpyArray): EvaluationSet {
  return {
    inputs: new Map([[input.name, input]]),
    samples,
    batchSize: samples,
    ...(labels ? { labels } : {}),
  };
}

describe("output figures", () => {
  // next-token model: tokens [N=2, T=2] → logits [N, T, V=3]; labels [N, T]
  const tokens: NpyArray = { name: "tokens", dtype: "int64", shape: [2, 2], data: new BigInt64Array(4) };
  const labels: NpyArray = {
    name: "labels",
    dtype: "int64",
    shape: [2, 2],
    data: BigInt64Array.from([0n, 1n, 2n, 2n]),
  };
  const lm = set(tokens, 2, labels);
  const reference = outputs("logits", [2, 3], [5, 0, 0, 0, 5, 0, 0, 0, 5, 5, 0, 0]);
  const candidate = outputs("logits", [2, 3], [4, 1, 0, 0, 4, 1, 0, 1, 4, 0, 1, 4]);

  it("next-token logits: accuracy and NLL per position, agreement and KL against the original", () => {
    expect(detectOutputKind(reference, lm)).toBe("logits");
    const base = computeOutputFigures(reference, lm, { dataLabel: "2 samples of t.npz" });
    expect(Object.keys(base).sort()).toEqual(["accuracy", "nllNats"]);
    expect(base.accuracy).toMatchObject({ value: 0.75, unit: "fraction" });
    expect(base.accuracy?.method).toMatch(/2 positions per sample.*2 samples of t\.npz/);

    const variant = computeOutputFigures(candidate, lm, { dataLabel: "2 samples of t.npz", reference });
    expect(variant.accuracy?.value).toBe(1);
    expect(variant.top1Agreement?.value).toBe(0.75);
    expect(variant.klDivergence?.value).toBeCloseTo(
      meanKlDivergence(reference.get("logits")!.data, candidate.get("logits")!.data, 3),
      12,
    );
    expect(variant.klDivergence?.unit).toBe("nats");
    expect(variant.nllNats!.value).toBeLessThan(base.nllNats!.value);
    expect(variant.spearmanRho).toBeUndefined();
    expect(variant.reconstructionMse).toBeUndefined();
  });

  it("classification logits without labels: fidelity only", () => {
    const x: NpyArray = { name: "x", dtype: "float32", shape: [2, 5], data: new Float32Array(10) };
    const ref = outputs("y", [3], [1, 2, 3, 3, 2, 1]);
    const figures = computeOutputFigures(outputs("y", [3], [1, 2, 3, 1, 2, 3]), set(x, 2), {
      dataLabel: "d",
      reference: ref,
    });
    expect(figures.accuracy).toBeUndefined();
    expect(figures.top1Agreement?.value).toBe(0.5);
    expect(figures.cosine?.value).toBeCloseTo((1 + 10 / 14) / 2, 12);
  });

  it("reconstruction (output shape == input shape): MSE against the input and Spearman ρ of per-sample error", () => {
    const window: NpyArray = {
      name: "window",
      dtype: "float32",
      shape: [4, 1, 2],
      data: Float32Array.from([0, 0, 1, 1, 2, 2, 3, 3]),
    };
    const windows = set(window, 4);
    // per-sample errors of the original: 0.01, 0.04, 0.09, 0.16; the variant swaps the ranks of the last two
    const ref = outputs("reconstruction", [1, 2], [0.1, 0.1, 1.2, 1.2, 2.3, 2.3, 3.4, 3.4]);
    const cand = outputs("reconstruction", [1, 2], [0.1, 0.1, 1.2, 1.2, 2.5, 2.5, 3.3, 3.3]);
    expect(detectOutputKind(ref, windows)).toBe("reconstruction");
    expect(detectOutputKind(ref, windows, { reconstruction: false })).toBe("logits");
    const base = computeOutputFigures(ref, windows, { dataLabel: "d" });
    expect(base.reconstructionMse?.value).toBeCloseTo((0.01 + 0.04 + 0.09 + 0.16) / 4, 12);
    const variant = computeOutputFigures(cand, windows, { dataLabel: "d", reference: ref });
    expect(variant.reconstructionMse?.value).toBeCloseTo((0.01 + 0.04 + 0.25 + 0.09) / 4, 12);
    expect(variant.spearmanRho?.value).toBeCloseTo(0.8, 12);
    expect(variant.outputMse?.value).toBeCloseTo((0.04 + 0.01) / 4, 12);
    expect(variant.klDivergence).toBeUndefined();
  });
});
