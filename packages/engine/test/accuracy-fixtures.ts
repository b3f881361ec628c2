/** A model with one deliberately quantization-sensitive layer, and evaluation data for it. */
import type { NpyArray } from "../src/data/npy";
import { createEvaluationSet, type EvaluationSet } from "../src/eval/dataset";
import { argmaxLastAxis } from "../src/eval/metrics";
import { createGraph, createModel, createNode, createValueInfo } from "../src/onnx/builder";
import { serializeModel } from "../src/onnx/codec";
import type { OnnxModel } from "../src/onnx/model";
import { createFloatTensor } from "../src/onnx/tensor";
import { randomFloats } from "./fixtures";
import { runModel } from "./ort-runtime";

/**
 * x[batch, 16] → fc1 (16→32) → Relu → fc2 (32→32) → Relu → fc3 (32→10) → y. fc2's weight has an
 * outlier row (60 in every column) on an input that Relu always zeroes (fc1's bias there is −1000), so
 * the float model ignores it, but per-column int8 scales become 60/127 and every other fc2 weight
 * (|w| ≤ 0.5) rounds to −1…1 steps: fc2 alone wrecks the int8 model; fc1 and fc3 quantize fine.
 */
export function createSensitiveMlpModel(): OnnxModel {
  const w2 = randomFloats(32 * 32, 62, 0.5);
  for (let c = 0; c < 32; c++) w2[c] = 60; // row 0
  const b1 = randomFloats(32, 61, 0.1);
  b1[0] = -1000;
  return createModel({
    graph: createGraph({
      name: "sensitive-mlp",
      inputs: [createValueInfo("x", "float32", ["batch", 16])],
      outputs: [createValueInfo("y", "float32", ["batch", 10])],
      initializers: [
        createFloatTensor("W1", [16, 32], randomFloats(16 * 32, 60, 0.5)),
        createFloatTensor("b1", [32], b1),
        createFloatTensor("W2", [32, 32], w2),
        createFloatTensor("b2", [32], randomFloats(32, 63, 0.1)),
        createFloatTensor("W3", [32, 10], randomFloats(32 * 10, 64, 0.5)),
        createFloatTensor("b3", [10], randomFloats(10, 65, 0.1)),
      ],
      nodes: [
        createNode("MatMul", ["x", "W1"], ["h1"], { name: "fc1" }),
        createNode("Add", ["h1", "b1"], ["h1b"], { name: "fc1_bias" }),
        createNode("Relu", ["h1b"], ["r1"], { name: "relu1" }),
        createNode("MatMul", ["r1", "W2"], ["h2"], { name: "fc2" }),
        createNode("Add", ["h2", "b2"], ["h2b"], { name: "fc2_bias" }),
        createNode("Relu", ["h2b"], ["r2"], { name: "relu2" }),
        createNode("MatMul", ["r2", "W3"], ["h3"], { name: "fc3" }),
        createNode("Add", ["h3", "b3"], ["y"], { name: "fc3_bias" }),
      ],
    }),
  });
}

/** `samples` random inputs; with `labels`, the float model's own argmax (so its accuracy is 100%). */
export async function createSensitiveMlpData(
  model: OnnxModel,
  samples: number,
  options: { labels?: boolean; seed?: number } = {},
): Promise<EvaluationSet> {
  const x = randomFloats(samples * 16, options.seed ?? 70, 1);
  const arrays = new Map<string, NpyArray>([
    ["x", { name: "x", dtype: "float32", shape: [samples, 16], data: x }],
  ]);
  if (options.labels) {
    const out = await runModel(serializeModel(model), {
      x: { type: "float32", dims: [samples, 16], data: x },
    });
    const labels = BigInt64Array.from(argmaxLastAxis(out.y?.data as Float32Array, 10), (v) => BigInt(v));
    arrays.set("labels", { name: "labels", dtype: "int64", shape: [samples], data: labels });
  }
  return createEvaluationSet(model, arrays, { batchSize: 64 });
}
