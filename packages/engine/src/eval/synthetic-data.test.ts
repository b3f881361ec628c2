import { describe, expect, it } from "vitest";
import { createMlpModel } from "../../test/fixtures";
import { createGraph, createModel, createNode, createValueInfo } from "../onnx/builder";
import { createFloatTensor } from "../onnx/tensor";
import { createEvaluationSet } from "./dataset";
import { createSyntheticArrays, describeSyntheticArrays, findIdRange } from "./synthetic-data";

/** tokens int64 [batch, 5] → Gather(table [12, 3]) → emb; ids int32 [2, 3] feed nothing that bounds them. */
function createEmbeddingModel() {
  return createModel({
    graph: createGraph({
      inputs: [createValueInfo("tokens", "int64", ["batch", 5]), createValueInfo("ids", "int32", [2, 3])],
      outputs: [createValueInfo("emb", "float32", ["batch", 5, 3]), createValueInfo("out", "int32", [2, 3])],
      initializers: [createFloatTensor("table", [12, 3], new Float32Array(36))],
      nodes: [createNode("Gather", ["table", "tokens"], ["emb"]), createNode("Identity", ["ids"], ["out"])],
    }),
  });
}

describe("synthetic data", () => {
  it("bounds token ids by the Gather table they index, else [0, 63]", () => {
    const model = createEmbeddingModel();
    expect(findIdRange(model, "tokens")).toBe(12);
    expect(findIdRange(model, "ids")).toBe(64);
    const arrays = createSyntheticArrays(model, { samples: 50, seed: 7 });
    const tokens = arrays.get("tokens")!;
    expect(tokens).toMatchObject({ dtype: "int64", shape: [50, 5] });
    const ids = Array.from(tokens.data as BigInt64Array, Number);
    expect(Math.min(...ids)).toBeGreaterThanOrEqual(0);
    expect(Math.max(...ids)).toBe(11);
    // a fixed batch dim is kept: samples round up to whole batches
    expect(arrays.get("ids")).toMatchObject({ dtype: "int32", shape: [50, 3] });
    expect(describeSyntheticArrays(model, arrays)).toBe(
      "tokens: uniform ids in [0, 11]; ids: uniform ids in [0, 63]",
    );
  });

  it("draws floats from a standard normal, deterministically per seed, and fits the model", () => {
    const model = createMlpModel();
    const a = createSyntheticArrays(model, { samples: 500, seed: 1 }).get("x")!;
    const b = createSyntheticArrays(model, { samples: 500, seed: 1 }).get("x")!;
    expect(a.shape).toEqual([500, 16]);
    expect(Array.from(a.data as Float32Array)).toEqual(Array.from(b.data as Float32Array));
    const values = Array.from(a.data as Float32Array);
    const mean = values.reduce((s, v) => s + v, 0) / values.length;
    const sd = Math.sqrt(values.reduce((s, v) => s + (v - mean) ** 2, 0) / values.length);
    expect(Math.abs(mean)).toBeLessThan(0.05);
    expect(sd).toBeGreaterThan(0.95);
    expect(sd).toBeLessThan(1.05);
    expect(createEvaluationSet(model, new Map([["x", a]])).samples).toBe(500);
  });
});
