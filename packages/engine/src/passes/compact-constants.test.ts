import { describe, expect, it } from "vitest";
import { randomFloats } from "../../test/fixtures";
import { runModel } from "../../test/ort-runtime";
import { createGraph, createModel, createNode, createValueInfo } from "../onnx/builder";
import { serializeModel } from "../onnx/codec";
import type { OnnxModel } from "../onnx/model";
import { createFloatTensor } from "../onnx/tensor";
import { validateModel } from "../onnx/validate";
import { compactConstants } from "./compact-constants";

function createModelWith(constants: Record<string, Float32Array>): OnnxModel {
  const names = Object.keys(constants);
  return createModel({
    graph: createGraph({
      inputs: [createValueInfo("x", "float32", [64])],
      outputs: names.map((n) => createValueInfo(`${n}_out`, "float32", [64])),
      initializers: names.map((n) => createFloatTensor(n, [64], constants[n] as Float32Array)),
      nodes: names.map((n) => createNode("Add", ["x", n], [`${n}_out`], { name: `add_${n}` })),
    }),
  });
}

describe("compactConstants", () => {
  it("re-encodes masks as bool + Where and float16-exact tensors as float16 + Cast, bit for bit", async () => {
    const mask = Float32Array.from({ length: 64 }, (_, i) => (i % 3 === 0 ? Number.NEGATIVE_INFINITY : 0));
    const integers = Float32Array.from({ length: 64 }, (_, i) => i - 20);
    const noisy = randomFloats(64, 81);
    const model = createModelWith({ mask, integers, noisy });
    const copy = structuredClone(model);
    const lines = compactConstants(copy, { minElements: 64 });
    expect(lines).toEqual([
      "'mask' [64] holds only -Infinity and 0: stored as bool + Where (lossless)",
      "'integers' [64] is exact in float16: stored as float16 + Cast (lossless)",
    ]);
    expect(validateModel(copy)).toEqual([]);
    expect(copy.graph.node.map((n) => n.opType)).toEqual(["Where", "Cast", "Add", "Add", "Add"]);
    expect(copy.graph.initializer.map((t) => t.name)).toContain("noisy");
    const x = { x: { type: "float32", dims: [64], data: randomFloats(64, 82) } };
    const [a, b] = await Promise.all([runModel(serializeModel(model), x), runModel(serializeModel(copy), x)]);
    for (const name of ["mask_out", "integers_out", "noisy_out"])
      expect(b[name]!.data).toEqual(a[name]!.data);
  });

  it("skips small tensors, graph outputs and one-valued tensors it cannot shrink with Where", () => {
    const model = createModelWith({ zeros: new Float32Array(64) });
    expect(compactConstants(structuredClone(model), { minElements: 65 })).toEqual([]);
    // all-zero: not two-valued, but exact in float16
    expect(compactConstants(structuredClone(model), { minElements: 64 })[0]).toMatch(/exact in float16/);
  });
});
