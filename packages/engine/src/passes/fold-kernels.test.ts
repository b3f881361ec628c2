import { describe, expect, it } from "vitest";
import { randomFloats } from "../../test/fixtures";
import { runModel } from "../../test/ort-runtime";
import { createIntAttribute, createIntsAttribute } from "../onnx/attributes";
import { createGraph, createModel, createNode, createValueInfo } from "../onnx/builder";
import { serializeModel } from "../onnx/codec";
import { DATA_TYPE, getDataTypeName } from "../onnx/data-type";
import type { Attribute } from "../onnx/model";
import type { RuntimeTensor } from "../types";
import { type ConstValue, FOLD_KERNELS } from "./fold-kernels";

const v = (dataType: number, dims: number[], data: ConstValue["data"]): ConstValue => ({
  dataType,
  dims,
  data,
});
const f32 = (dims: number[], seed: number) =>
  v(
    DATA_TYPE.FLOAT,
    dims,
    randomFloats(
      dims.reduce((a, b) => a * b, 1),
      seed,
      3,
    ),
  );
const i64 = (dims: number[], values: number[]) =>
  v(DATA_TYPE.INT64, dims, BigInt64Array.from(values, BigInt));
const i32 = (dims: number[], values: number[]) => v(DATA_TYPE.INT32, dims, Int32Array.from(values));

/** Runs one node in ORT with `inputs` fed as graph inputs; returns its first output. */
async function ortEval(
  op: string,
  inputs: ConstValue[],
  attributes: Attribute[],
  opset = 13,
): Promise<RuntimeTensor> {
  const names = inputs.map((_, i) => `in${i}`);
  const model = createModel({
    opset,
    graph: createGraph({
      inputs: inputs.map((x, i) => createValueInfo(names[i] as string, x.dataType, x.dims)),
      outputs: [{ name: "out", metadataProps: [] }],
      nodes: [createNode(op, names, ["out"], { attributes })],
    }),
  });
  const feeds: Record<string, RuntimeTensor> = {};
  inputs.forEach((x, i) => {
    feeds[names[i] as string] = { type: getDataTypeName(x.dataType), dims: x.dims, data: x.data };
  });
  const out = (await runModel(serializeModel(model), feeds)).out;
  if (!out) throw new Error("no output");
  return out;
}

const CASES: { name: string; op: string; inputs: ConstValue[]; attributes?: Attribute[]; opset?: number }[] =
  [
    {
      name: "Transpose 3-D",
      op: "Transpose",
      inputs: [f32([2, 3, 4], 1)],
      attributes: [createIntsAttribute("perm", [2, 0, 1])],
    },
    { name: "Transpose default perm", op: "Transpose", inputs: [f32([3, 5], 2)] },
    {
      name: "Gather axis 1, negative indices",
      op: "Gather",
      inputs: [f32([3, 4, 2], 3), i64([2, 2], [0, -1, 2, 1])],
      attributes: [createIntAttribute("axis", 1)],
    },
    {
      name: "Slice negative step",
      op: "Slice",
      inputs: [f32([4, 6], 4), i64([2], [3, -1]), i64([2], [0, -7]), i64([2], [0, 1]), i64([2], [-1, -2])],
    },
    {
      name: "Slice clamped ends",
      op: "Slice",
      inputs: [f32([5], 5), i64([1], [1]), i64([1], [9_000_000_000]), i64([1], [0])],
    },
    {
      name: "Concat axis -1",
      op: "Concat",
      inputs: [f32([2, 3], 6), f32([2, 1], 7)],
      attributes: [createIntAttribute("axis", -1)],
    },
    { name: "Add broadcast int64", op: "Add", inputs: [i64([2, 1], [5, -7]), i64([3], [1, 2, 3])] },
    { name: "Div int32 truncates", op: "Div", inputs: [i32([4], [7, -7, 7, -7]), i32([4], [2, 2, -2, -2])] },
    { name: "Div int64 truncates", op: "Div", inputs: [i64([2], [-9, 9]), i64([1], [4])] },
    { name: "Mul float broadcast", op: "Mul", inputs: [f32([2, 3, 4], 8), f32([3, 1], 9)] },
    { name: "Sub float", op: "Sub", inputs: [f32([4], 10), f32([], 11)] },
    {
      name: "Cast float → int32",
      op: "Cast",
      inputs: [v(DATA_TYPE.FLOAT, [4], Float32Array.of(-2.7, 2.7, -0.5, 100.9))],
      attributes: [createIntAttribute("to", DATA_TYPE.INT32)],
    },
    {
      name: "Cast int64 → float",
      op: "Cast",
      inputs: [i64([3], [-3, 0, 16777217])],
      attributes: [createIntAttribute("to", DATA_TYPE.FLOAT)],
    },
    {
      name: "Cast float → bool",
      op: "Cast",
      inputs: [v(DATA_TYPE.FLOAT, [3], Float32Array.of(0, -0.1, 2))],
      attributes: [createIntAttribute("to", DATA_TYPE.BOOL)],
    },
    {
      name: "Range float",
      op: "Range",
      inputs: [
        v(DATA_TYPE.FLOAT, [], Float32Array.of(0.1)),
        v(DATA_TYPE.FLOAT, [], Float32Array.of(2)),
        v(DATA_TYPE.FLOAT, [], Float32Array.of(0.3)),
      ],
    },
    { name: "Range int64 negative delta", op: "Range", inputs: [i64([], [10]), i64([], [1]), i64([], [-3])] },
    { name: "Unsqueeze", op: "Unsqueeze", inputs: [f32([3, 2], 12), i64([2], [0, -1])] },
    { name: "Squeeze", op: "Squeeze", inputs: [f32([1, 3, 1], 13), i64([1], [2])] },
    { name: "Reshape 0 and -1", op: "Reshape", inputs: [f32([2, 3, 4], 14), i64([3], [0, -1, 2])] },
  ];

describe("fold kernels match onnxruntime", () => {
  it.each(CASES)("$name", async ({ op, inputs, attributes = [], opset = 13 }) => {
    const node = createNode(
      op,
      inputs.map((_, i) => `in${i}`),
      ["out"],
      { attributes },
    );
    const folded = FOLD_KERNELS[op]?.(node, inputs, opset)?.[0];
    const expected = await ortEval(op, inputs, attributes, opset);
    expect(folded).toBeDefined();
    expect(folded?.dims).toEqual(expected.dims);
    expect(Array.from(folded?.data as ArrayLike<number | bigint>)).toEqual(
      Array.from(expected.data as ArrayLike<number | bigint>),
    );
  });

  it("declines what it cannot reproduce exactly", () => {
    const div = createNode("Div", ["a", "b"], ["c"]);
    expect(FOLD_KERNELS.Div?.(div, [i64([1], [1]), i64([1], [0])], 13)).toBeUndefined();
    const cast = createNode("Cast", ["a"], ["b"], { attributes: [createIntAttribute("to", DATA_TYPE.INT8)] });
    expect(FOLD_KERNELS.Cast?.(cast, [v(DATA_TYPE.FLOAT, [1], Float32Array.of(300))], 13)).toBeUndefined();
    const gather = createNode("Gather", ["a", "i"], ["b"]);
    expect(FOLD_KERNELS.Gather?.(gather, [f32([2], 1), i64([1], [2])], 13)).toBeUndefined();
  });
});
