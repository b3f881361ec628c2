/** Small ONNX models built with the engine's own builder, plus deterministic data, for tests. */
import { createFloatAttribute, createIntAttribute, createIntsAttribute } from "../src/onnx/attributes";
import { createGraph, createModel, createNode, createValueInfo } from "../src/onnx/builder";
import type { OnnxModel } from "../src/onnx/model";
import { createFloatTensor, createInt64Tensor } from "../src/onnx/tensor";
import type { RuntimeTensor } from "../src/types";

/** Deterministic pseudo-random floats in [-scale, scale) (LCG; same values on every run). */
export function randomFloats(count: number, seed: number, scale = 1): Float32Array {
  let state = seed >>> 0 || 1;
  const out = new Float32Array(count);
  for (let i = 0; i < count; i++) {
    state = (Math.imul(state, 1664525) + 1013904223) >>> 0;
    out[i] = (state / 2 ** 32) * 2 * scale - scale;
  }
  return out;
}

export function floatInput(dims: number[], seed: number, scale = 1): RuntimeTensor {
  return {
    type: "float32",
    dims,
    data: randomFloats(
      dims.reduce((a, b) => a * b, 1),
      seed,
      scale,
    ),
  };
}

/** x[batch, 16] → MatMul(W1[16, 32]) → Add(b1) → Relu → MatMul(W2[32, 8]) → Add(b2) → y */
export function createMlpModel(opset = 13): OnnxModel {
  return createModel({
    opset,
    graph: createGraph({
      name: "mlp",
      inputs: [createValueInfo("x", "float32", ["batch", 16])],
      outputs: [createValueInfo("y", "float32", ["batch", 8])],
      initializers: [
        createFloatTensor("W1", [16, 32], randomFloats(16 * 32, 1, 0.5)),
        createFloatTensor("b1", [32], randomFloats(32, 2, 0.1)),
        createFloatTensor("W2", [32, 8], randomFloats(32 * 8, 3, 0.5)),
        createFloatTensor("b2", [8], randomFloats(8, 4, 0.1)),
      ],
      nodes: [
        createNode("MatMul", ["x", "W1"], ["h1"], { name: "fc1" }),
        createNode("Add", ["h1", "b1"], ["h1b"], { name: "fc1_bias" }),
        createNode("Relu", ["h1b"], ["h1r"], { name: "relu1" }),
        createNode("MatMul", ["h1r", "W2"], ["h2"], { name: "fc2" }),
        createNode("Add", ["h2", "b2"], ["y"], { name: "fc2_bias" }),
      ],
    }),
  });
}

/** x[4, 12] → Gemm(W[10, 12], C[10], transB=1, alpha, beta) → y[4, 10] */
export function createGemmModel(options: { alpha?: number; beta?: number } = {}): OnnxModel {
  const attributes = [createIntAttribute("transB", 1)];
  if (options.alpha !== undefined) attributes.push(createFloatAttribute("alpha", options.alpha));
  if (options.beta !== undefined) attributes.push(createFloatAttribute("beta", options.beta));
  return createModel({
    graph: createGraph({
      name: "gemm",
      inputs: [createValueInfo("x", "float32", [4, 12])],
      outputs: [createValueInfo("y", "float32", [4, 10])],
      initializers: [
        createFloatTensor("W", [10, 12], randomFloats(120, 5, 0.4)),
        createFloatTensor("C", [10], randomFloats(10, 6, 0.2)),
      ],
      nodes: [createNode("Gemm", ["x", "W", "C"], ["y"], { name: "gemm", attributes })],
    }),
  });
}

/**
 * x[batch, 3, 16, 16] → Conv(8, 3×3, pad 1, bias) → Relu → Conv(8, 3×3, stride 2, group 2, no bias) → Relu
 * → GlobalAveragePool → Flatten → Gemm(W[8, 5], C) → y[batch, 5]
 */
export function createConvNetModel(): OnnxModel {
  return createModel({
    graph: createGraph({
      name: "convnet",
      inputs: [createValueInfo("x", "float32", ["batch", 3, 16, 16])],
      outputs: [createValueInfo("y", "float32", ["batch", 5])],
      initializers: [
        createFloatTensor("conv1.w", [8, 3, 3, 3], randomFloats(8 * 27, 7, 0.4)),
        createFloatTensor("conv1.b", [8], randomFloats(8, 8, 0.1)),
        createFloatTensor("conv2.w", [8, 4, 3, 3], randomFloats(8 * 36, 9, 0.3)),
        createFloatTensor("fc.w", [8, 5], randomFloats(40, 10, 0.5)),
        createFloatTensor("fc.b", [5], randomFloats(5, 11, 0.1)),
      ],
      nodes: [
        createNode("Conv", ["x", "conv1.w", "conv1.b"], ["c1"], {
          name: "conv1",
          attributes: [
            createIntsAttribute("kernel_shape", [3, 3]),
            createIntsAttribute("pads", [1, 1, 1, 1]),
          ],
        }),
        createNode("Relu", ["c1"], ["r1"], { name: "relu1" }),
        createNode("Conv", ["r1", "conv2.w"], ["c2"], {
          name: "conv2",
          attributes: [
            createIntsAttribute("kernel_shape", [3, 3]),
            createIntsAttribute("strides", [2, 2]),
            createIntAttribute("group", 2),
          ],
        }),
        createNode("Relu", ["c2"], ["r2"], { name: "relu2" }),
        createNode("GlobalAveragePool", ["r2"], ["gap"], { name: "gap" }),
        createNode("Flatten", ["gap"], ["flat"], { name: "flatten" }),
        createNode("Gemm", ["flat", "fc.w", "fc.b"], ["y"], { name: "fc" }),
      ],
    }),
  });
}

/** x[2, 6] → Slice (opset 9 attributes) → Relu → MatMul(W[4, 3]) → y: an old-opset model whose Slice blocks raising to 11. */
export function createOldSliceModel(): OnnxModel {
  return createModel({
    opset: 9,
    irVersion: 4,
    graph: createGraph({
      inputs: [createValueInfo("x", "float32", [2, 6])],
      outputs: [createValueInfo("y", "float32", [2, 3])],
      initializers: [createFloatTensor("W", [4, 3], randomFloats(12, 12))],
      nodes: [
        createNode("Slice", ["x"], ["s"], {
          attributes: [
            createIntsAttribute("starts", [1]),
            createIntsAttribute("ends", [5]),
            createIntsAttribute("axes", [1]),
          ],
        }),
        createNode("MatMul", ["s", "W"], ["y"]),
      ],
    }),
  });
}

/** x[batch, 6] → Reshape(shape from Shape→Gather→Unsqueeze→Concat) → y[batch, 2, 3]: exporter-style shape subgraph. */
export function createShapeSubgraphModel(): OnnxModel {
  return createModel({
    graph: createGraph({
      inputs: [createValueInfo("x", "float32", ["batch", 6])],
      outputs: [createValueInfo("y", "float32", ["batch", 2, 3])],
      initializers: [
        createInt64Tensor("zero", [], [0]),
        createInt64Tensor("axes0", [1], [0]),
        createInt64Tensor("rest", [2], [2, 3]),
      ],
      nodes: [
        createNode("Shape", ["x"], ["shape"]),
        createNode("Gather", ["shape", "zero"], ["n"], { attributes: [createIntAttribute("axis", 0)] }),
        createNode("Unsqueeze", ["n", "axes0"], ["n1"]),
        createNode("Concat", ["n1", "rest"], ["target"], { attributes: [createIntAttribute("axis", 0)] }),
        createNode("Reshape", ["x", "target"], ["y"]),
      ],
    }),
  });
}

/** Elements of any numeric typed array (including BigInt64Array) as a plain array, for assertions. */
export function values(data: ArrayLike<number | bigint>): (number | bigint)[] {
  return Array.from(data);
}
