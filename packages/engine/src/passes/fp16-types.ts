/**
 * What the fp16 pass needs to know about ops and values:
 * - `FP16_OPS`: ops that can run in float16, with the input/output slots that carry the float type T
 *   (the other slots — shapes, axes, indices, Pow's exponent, Resize's scales — keep their type);
 * - `inferElemTypes`: the element type of every value in the main graph, from graph inputs,
 *   initializers, value_info and per-op rules (ops not covered fall back to value_info or stay unknown).
 */
import { findAttribute, getIntAttribute } from "../onnx/attributes";
import { DATA_TYPE } from "../onnx/data-type";
import type { Graph, Node } from "../onnx/model";

/** Slot lists: indices, or "all". */
export interface FloatSlots {
  inputs: readonly number[] | "all";
  outputs: readonly number[] | "all";
}

const ALL: FloatSlots = { inputs: "all", outputs: "all" };
const FIRST: FloatSlots = { inputs: [0], outputs: "all" };

/** Ops that compute (or move) float data and have a float16 form in ONNX, with their T slots. */
export const FP16_OPS: Readonly<Record<string, FloatSlots>> = {
  ...Object.fromEntries(
    [
      "Add",
      "Sub",
      "Mul",
      "Div",
      "Min",
      "Max",
      "Sum",
      "Mean",
      "Relu",
      "LeakyRelu",
      "Sigmoid",
      "Tanh",
      "Exp",
      "Log",
      "Sqrt",
      "Abs",
      "Neg",
      "Reciprocal",
      "Floor",
      "Ceil",
      "Round",
      "Erf",
      "Sin",
      "Cos",
      "Softplus",
      "Softsign",
      "Elu",
      "Selu",
      "HardSigmoid",
      "HardSwish",
      "Gelu",
      "PRelu",
      "Softmax",
      "LogSoftmax",
      "MatMul",
      "Gemm",
      "Conv",
      "ConvTranspose",
      "AveragePool",
      "GlobalAveragePool",
      "GlobalMaxPool",
      "InstanceNormalization",
      "Identity",
      "Flatten",
      "Transpose",
      "Concat",
      "Clip",
      "Sign",
    ].map((op) => [op, ALL]),
  ),
  ...Object.fromEntries(
    [
      "Reshape",
      "Unsqueeze",
      "Squeeze",
      "Slice",
      "Gather",
      "GatherElements",
      "GatherND",
      "Expand",
      "Tile",
      "Split",
      "ReduceMean",
      "ReduceSum",
      "ReduceMax",
      "ReduceMin",
      "ReduceProd",
      "ReduceL2",
      "ReduceLogSumExp",
      "ReduceSumSquare",
      "Resize",
      "Upsample",
      "DepthToSpace",
      "SpaceToDepth",
      "CumSum",
      "Pow",
    ].map((op) => [op, FIRST]),
  ),
  MaxPool: { inputs: [0], outputs: [0] },
  Dropout: { inputs: [0], outputs: [0] },
  TopK: { inputs: [0], outputs: [0] },
  Pad: { inputs: [0, 2], outputs: "all" },
  Where: { inputs: [1, 2], outputs: "all" },
  BatchNormalization: { inputs: "all", outputs: [0] },
  LayerNormalization: { inputs: [0, 1, 2], outputs: [0] },
  Equal: { inputs: "all", outputs: [] },
  Less: { inputs: "all", outputs: [] },
  Greater: { inputs: "all", outputs: [] },
  LessOrEqual: { inputs: "all", outputs: [] },
  GreaterOrEqual: { inputs: "all", outputs: [] },
  ArgMax: { inputs: [0], outputs: [] },
  ArgMin: { inputs: [0], outputs: [] },
};

/**
 * Ops that only move or select values (exact at any precision). With a float16 kernel they run in the
 * precision of the activations they read instead of forcing a Cast: float16 when fed float16.
 */
export const PRECISION_NEUTRAL_OPS: ReadonlySet<string> = new Set([
  "Reshape",
  "Transpose",
  "Slice",
  "Gather",
  "GatherElements",
  "GatherND",
  "Unsqueeze",
  "Squeeze",
  "Flatten",
  "Identity",
  "Concat",
  "Split",
  "Expand",
  "Tile",
  "Pad",
  "DepthToSpace",
  "SpaceToDepth",
  "Min",
  "Max",
  "Clip",
  "MaxPool",
  "Where",
  "Relu",
  "Dropout",
  "Sign",
]);

/**
 * Ops of FP16_OPS that onnxruntime-node 1.30's CPU execution provider (x86-64 build) has no float16
 * kernel for: given float16 inputs it inserts Casts and runs them in float32 (Softmax, LogSoftmax, Gelu
 * and HardSwish are first expanded into such ops). Found by loading one-node float16 models with graph
 * optimizations off and looking for inserted Casts in the saved model (fp16.test.ts re-checks a sample).
 * Native float16 there: Cast, Concat, Clip, Expand, Flatten, Gather, GatherElements, GatherND, Identity,
 * LayerNormalization, Max, Min, Reshape, Round, Sign, Slice, Split, Squeeze, Transpose, Unsqueeze.
 */
export const ORT_CPU_FP16_UNSUPPORTED_OPS: readonly string[] = [
  "Add",
  "Sub",
  "Mul",
  "Div",
  "Sum",
  "Mean",
  "PRelu",
  "Pow",
  "Relu",
  "LeakyRelu",
  "Sigmoid",
  "Tanh",
  "Exp",
  "Log",
  "Sqrt",
  "Abs",
  "Neg",
  "Reciprocal",
  "Floor",
  "Ceil",
  "Erf",
  "Sin",
  "Cos",
  "Softplus",
  "Softsign",
  "Elu",
  "Selu",
  "HardSigmoid",
  "HardSwish",
  "Gelu",
  "Softmax",
  "LogSoftmax",
  "MatMul",
  "Gemm",
  "Conv",
  "ConvTranspose",
  "MaxPool",
  "AveragePool",
  "GlobalAveragePool",
  "GlobalMaxPool",
  "BatchNormalization",
  "InstanceNormalization",
  "Tile",
  "Pad",
  "Where",
  "ReduceMean",
  "ReduceSum",
  "ReduceMax",
  "ReduceMin",
  "ReduceProd",
  "ReduceL2",
  "ReduceLogSumExp",
  "ReduceSumSquare",
  "Equal",
  "Less",
  "Greater",
  "LessOrEqual",
  "GreaterOrEqual",
  "ArgMax",
  "ArgMin",
  "TopK",
  "CumSum",
  "Resize",
  "Upsample",
  "DepthToSpace",
  "SpaceToDepth",
  "Dropout",
];

export function isFloatSlot(slots: readonly number[] | "all", index: number): boolean {
  return slots === "all" || slots.includes(index);
}

/** Ops of FP16_OPS whose outputs all have the type of input 0 (the others are special-cased first). */
const SAME_AS_FIRST = new Set(Object.keys(FP16_OPS));
const BOOL_OPS = new Set([
  "Equal",
  "Less",
  "Greater",
  "LessOrEqual",
  "GreaterOrEqual",
  "And",
  "Or",
  "Xor",
  "Not",
  "IsNaN",
  "IsInf",
]);
const INT64_OPS = new Set(["Shape", "Size", "ArgMax", "ArgMin", "NonZero", "NonMaxSuppression"]);

function outputTypes(node: Node, inputType: (i: number) => number | undefined): (number | undefined)[] {
  const op = node.opType;
  const attr = (name: string) => findAttribute(node, name);
  if (node.domain && node.domain !== "ai.onnx") return [];
  if (op === "Constant") {
    const a = node.attribute[0];
    if (a?.t) return [a.t.dataType];
    if (a?.name === "value_float" || a?.name === "value_floats") return [DATA_TYPE.FLOAT];
    if (a?.name === "value_int" || a?.name === "value_ints") return [DATA_TYPE.INT64];
    return [];
  }
  if (op === "Cast") return [getIntAttribute(node, "to", 0)];
  if (op === "CastLike") return [inputType(1)];
  if (op === "ConstantOfShape") return [attr("value")?.t?.dataType ?? DATA_TYPE.FLOAT];
  if (op === "Where") return [inputType(1)];
  if (op === "Range") return [inputType(0)];
  if (op === "TopK") return [inputType(0), DATA_TYPE.INT64];
  if (op === "MaxPool") return [inputType(0), DATA_TYPE.INT64];
  if (op === "Dropout") return [inputType(0), DATA_TYPE.BOOL];
  if (op === "LayerNormalization") return [inputType(0), DATA_TYPE.FLOAT, DATA_TYPE.FLOAT];
  if (op === "EyeLike" || op.startsWith("Random")) {
    return [
      attr("dtype")?.i === undefined
        ? op.endsWith("Like")
          ? inputType(0)
          : DATA_TYPE.FLOAT
        : Number(attr("dtype")?.i),
    ];
  }
  if (BOOL_OPS.has(op)) return node.output.map(() => DATA_TYPE.BOOL);
  if (INT64_OPS.has(op)) return node.output.map(() => DATA_TYPE.INT64);
  if (SAME_AS_FIRST.has(op)) return node.output.map(() => inputType(0));
  return [];
}

/** Element type of every value of the main graph that can be determined (DATA_TYPE ids). */
export function inferElemTypes(graph: Graph): Map<string, number> {
  const types = new Map<string, number>();
  for (const v of [...graph.input, ...graph.valueInfo, ...graph.output]) {
    const t = v.type?.tensorType?.elemType;
    if (t) types.set(v.name, t);
  }
  for (const t of graph.initializer) if (t.name) types.set(t.name, t.dataType);
  for (const node of graph.node) {
    const inferred = outputTypes(node, (i) => types.get(node.input[i] ?? ""));
    node.output.forEach((name, i) => {
      const t = inferred[i];
      if (name && t && !types.has(name)) types.set(name, t);
    });
  }
  return types;
}
