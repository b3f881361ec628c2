/** Fixtures for the folding passes: constant subgraphs of every foldable op, and Conv → BatchNormalization. */
import {
  createFloatAttribute,
  createIntAttribute,
  createIntsAttribute,
  createTensorAttribute,
} from "../src/onnx/attributes";
import { createGraph, createModel, createNode, createValueInfo } from "../src/onnx/builder";
import { DATA_TYPE } from "../src/onnx/data-type";
import type { OnnxModel } from "../src/onnx/model";
import { createFloatTensor, createInt64Tensor } from "../src/onnx/tensor";
import { randomFloats } from "./fixtures";

/**
 * x[batch, 8] → MatMul(Mul(Transpose(W[6, 8]), Constant scale[6])) → h[batch, 6]
 *   → Reshape(h, Concat([-1], Unsqueeze(Gather(Shape(h), 1)))) (static dim 1 → folds; batch stays)
 *   → Add(Cast(Range(0, 6, 1)) / 4) → Add(Slice(bias[10], 2:8)) → Add(Squeeze(Unsqueeze(c[6])) − 1)
 *   → Add(Identity(Reshape(Flatten(k[2, 3]))) → y[batch, 6]
 */
export function createFoldableModel(): OnnxModel {
  const i64 = (name: string, values: number[], dims = [values.length]) =>
    createInt64Tensor(name, dims, values);
  return createModel({
    graph: createGraph({
      name: "foldable",
      inputs: [createValueInfo("x", "float32", ["batch", 8])],
      outputs: [createValueInfo("y", "float32", ["batch", 6])],
      initializers: [
        createFloatTensor("W", [6, 8], randomFloats(48, 21, 0.5)),
        createFloatTensor("bias", [10], randomFloats(10, 22, 0.3)),
        createFloatTensor("c", [6], randomFloats(6, 23, 0.3)),
        createFloatTensor("one", [], [1]),
        createFloatTensor("four", [], [4]),
        createFloatTensor("k", [2, 3], randomFloats(6, 24, 0.2)),
        i64("one_index", [1], []),
        i64("axes0", [0]),
        i64("minus_one", [-1]),
        i64("r_start", [0], []),
        i64("r_limit", [6], []),
        i64("r_delta", [1], []),
        i64("s_starts", [2]),
        i64("s_ends", [8]),
        i64("s_axes", [0]),
        i64("shape6", [6]),
      ],
      nodes: [
        createNode("Transpose", ["W"], ["Wt"], {
          name: "w_t",
          attributes: [createIntsAttribute("perm", [1, 0])],
        }),
        createNode("Constant", [], ["scale"], {
          name: "scale_const",
          attributes: [
            createTensorAttribute("value", createFloatTensor("scale", [6], randomFloats(6, 25, 1))),
          ],
        }),
        createNode("Mul", ["Wt", "scale"], ["Ws"], { name: "w_scale" }),
        createNode("MatMul", ["x", "Ws"], ["h"], { name: "fc" }),
        createNode("Shape", ["h"], ["h_shape"], { name: "shape" }),
        createNode("Gather", ["h_shape", "one_index"], ["h_dim1"], {
          name: "gather",
          attributes: [createIntAttribute("axis", 0)],
        }),
        createNode("Unsqueeze", ["h_dim1", "axes0"], ["h_dim1_1d"], { name: "unsqueeze" }),
        createNode("Concat", ["minus_one", "h_dim1_1d"], ["target"], {
          name: "concat",
          attributes: [createIntAttribute("axis", 0)],
        }),
        createNode("Reshape", ["h", "target"], ["h2"], { name: "reshape" }),
        createNode("Range", ["r_start", "r_limit", "r_delta"], ["r"], { name: "range" }),
        createNode("Cast", ["r"], ["rf"], {
          name: "cast",
          attributes: [createIntAttribute("to", DATA_TYPE.FLOAT)],
        }),
        createNode("Div", ["rf", "four"], ["rq"], { name: "div" }),
        createNode("Add", ["h2", "rq"], ["h3"], { name: "add_range" }),
        createNode("Slice", ["bias", "s_starts", "s_ends", "s_axes"], ["b6"], { name: "slice" }),
        createNode("Add", ["h3", "b6"], ["h4"], { name: "add_bias" }),
        createNode("Unsqueeze", ["c", "axes0"], ["c1"], { name: "c_unsqueeze" }),
        createNode("Squeeze", ["c1", "axes0"], ["c2"], { name: "c_squeeze" }),
        createNode("Sub", ["c2", "one"], ["c3"], { name: "c_sub" }),
        createNode("Add", ["h4", "c3"], ["h5"], { name: "add_c" }),
        createNode("Flatten", ["k"], ["kf"], {
          name: "k_flatten",
          attributes: [createIntAttribute("axis", 0)],
        }),
        createNode("Reshape", ["kf", "shape6"], ["k6"], { name: "k_reshape" }),
        createNode("Identity", ["k6"], ["k7"], { name: "k_identity" }),
        createNode("Add", ["h5", "k7"], ["y"], { name: "add_k" }),
      ],
    }),
  });
}

/** A model where nothing is constant except weights read directly: folding has nothing to do. */
export function createUnfoldableModel(): OnnxModel {
  return createModel({
    graph: createGraph({
      inputs: [createValueInfo("x", "float32", ["batch", 4])],
      outputs: [createValueInfo("y", "float32", ["batch", 4])],
      initializers: [createFloatTensor("W", [4, 4], randomFloats(16, 31))],
      nodes: [createNode("MatMul", ["x", "W"], ["y"], { name: "fc" })],
    }),
  });
}

function bnParams(prefix: string, channels: number, seed: number) {
  const positive = (n: number, s: number, lo: number, hi: number) =>
    Array.from(randomFloats(n, s, 0.5), (v) => lo + (v + 0.5) * (hi - lo));
  return [
    createFloatTensor(`${prefix}.scale`, [channels], positive(channels, seed, 0.5, 1.5)),
    createFloatTensor(`${prefix}.B`, [channels], randomFloats(channels, seed + 1, 0.3)),
    createFloatTensor(`${prefix}.mean`, [channels], randomFloats(channels, seed + 2, 0.4)),
    createFloatTensor(`${prefix}.var`, [channels], positive(channels, seed + 3, 0.1, 2)),
  ];
}

/**
 * x[batch, 3, 12, 12] → Conv(8, 3×3, no bias) → BN → Relu → Conv(8, 3×3, bias, group 2) → BN(eps 1e-3)
 * → Relu → GlobalAveragePool → Flatten → Gemm → y[batch, 4]; plus a BN on a Relu output (not foldable).
 */
export function createBatchNormModel(): OnnxModel {
  const bn = (name: string, input: string, output: string, epsilon?: number) =>
    createNode(
      "BatchNormalization",
      [input, `${name}.scale`, `${name}.B`, `${name}.mean`, `${name}.var`],
      [output],
      {
        name,
        attributes: epsilon === undefined ? [] : [createFloatAttribute("epsilon", epsilon)],
      },
    );
  return createModel({
    graph: createGraph({
      name: "convbn",
      inputs: [createValueInfo("x", "float32", ["batch", 3, 12, 12])],
      outputs: [createValueInfo("y", "float32", ["batch", 4])],
      initializers: [
        createFloatTensor("conv1.w", [8, 3, 3, 3], randomFloats(8 * 27, 41, 0.4)),
        createFloatTensor("conv2.w", [8, 4, 3, 3], randomFloats(8 * 36, 42, 0.3)),
        createFloatTensor("conv2.b", [8], randomFloats(8, 43, 0.2)),
        ...bnParams("bn1", 8, 50),
        ...bnParams("bn2", 8, 60),
        ...bnParams("bn3", 8, 70),
        createFloatTensor("fc.w", [8, 4], randomFloats(32, 44, 0.5)),
        createFloatTensor("fc.b", [4], randomFloats(4, 45, 0.1)),
      ],
      nodes: [
        createNode("Conv", ["x", "conv1.w"], ["c1"], {
          name: "conv1",
          attributes: [createIntsAttribute("pads", [1, 1, 1, 1])],
        }),
        bn("bn1", "c1", "n1"),
        createNode("Relu", ["n1"], ["r1"], { name: "relu1" }),
        createNode("Conv", ["r1", "conv2.w", "conv2.b"], ["c2"], {
          name: "conv2",
          attributes: [createIntsAttribute("strides", [2, 2]), createIntAttribute("group", 2)],
        }),
        bn("bn2", "c2", "n2", 1e-3),
        createNode("Relu", ["n2"], ["r2"], { name: "relu2" }),
        bn("bn3", "r2", "n3"),
        createNode("GlobalAveragePool", ["n3"], ["gap"], { name: "gap" }),
        createNode("Flatten", ["gap"], ["flat"], { name: "flatten" }),
        createNode("Gemm", ["flat", "fc.w", "fc.b"], ["y"], { name: "fc" }),
      ],
    }),
  });
}
