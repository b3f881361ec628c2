import { describe, expect, it } from "vitest";
import {
  createConvNetModel,
  createGemmModel,
  createMlpModel,
  createOldSliceModel,
  floatInput,
  randomFloats,
} from "../../test/fixtures";
import { runModel } from "../../test/ort-runtime";
import { expectOutputsClose, type Tolerance } from "../../test/tolerance";
import { PassError } from "../errors";
import { createGraph, createModel, createNode, createValueInfo } from "../onnx/builder";
import { serializeModel } from "../onnx/codec";
import { DATA_TYPE } from "../onnx/data-type";
import type { OnnxModel } from "../onnx/model";
import { createFloatTensor, getTensorByteSize } from "../onnx/tensor";
import { validateModel } from "../onnx/validate";
import type { RuntimeTensor } from "../types";
import { createQuantizeDynamicInt8Pass, type QuantizeDynamicInt8Options } from "./quantize-dynamic-int8";

function quantize(model: OnnxModel, options: QuantizeDynamicInt8Options = {}) {
  const log: string[] = [];
  const result = createQuantizeDynamicInt8Pass(options).run(model, { log: (m) => log.push(m) }) as OnnxModel;
  return { result, log };
}

async function compare(
  model: OnnxModel,
  quantized: OnnxModel,
  feeds: Record<string, RuntimeTensor>,
  tolerance: Tolerance = { cosine: 0.99, relativeMaxAbs: 0.1 },
) {
  const reference = await runModel(serializeModel(model), feeds);
  const candidate = await runModel(serializeModel(quantized), feeds);
  expectOutputsClose(reference.y!, candidate.y!, tolerance);
}

const weightBytes = (model: OnnxModel) =>
  model.graph.initializer.reduce((n, t) => n + getTensorByteSize(t), 0);

const ops = (model: OnnxModel) => model.graph.node.map((n) => n.opType);

describe("quantize-dynamic-int8", () => {
  it("quantizes an MLP's MatMuls, drops fp32 weights and matches the original in ORT", async () => {
    const model = createMlpModel();
    const before = structuredClone(model);
    const { result, log } = quantize(model);
    expect(model).toEqual(before); // input untouched
    expect(validateModel(result)).toEqual([]);
    expect(ops(result).filter((o) => o === "MatMulInteger")).toHaveLength(2);
    expect(ops(result)).not.toContain("MatMul");
    expect(ops(result).filter((o) => o === "DynamicQuantizeLinear")).toHaveLength(2);
    const names = result.graph.initializer.map((t) => t.name);
    expect(names).not.toContain("W1");
    expect(names).not.toContain("W2");
    expect(result.graph.initializer.find((t) => t.name === "W1_quantized")?.dataType).toBe(DATA_TYPE.UINT8);
    expect(weightBytes(result)).toBeLessThan(weightBytes(model) * 0.35); // int8 weights + fp32 biases and scales
    expect(serializeModel(result).byteLength).toBeLessThan(serializeModel(model).byteLength);
    expect(log[0]).toMatch(/quantized 2 MatMul; removed 2 fp32 weight/);
    await compare(model, result, { x: floatInput([3, 16], 21) });
  });

  it("handles Gemm with transB, alpha and beta", async () => {
    for (const options of [{}, { alpha: 0.5, beta: 2 }]) {
      const model = createGemmModel(options);
      const { result } = quantize(model);
      expect(ops(result)).toEqual(["DynamicQuantizeLinear", "MatMulInteger", "Cast", "Mul", "Mul", "Add"]);
      await compare(model, result, { x: floatInput([4, 12], 22) });
    }
  });

  it("quantizes Conv (bias, padding, stride, groups) to ConvInteger and matches in ORT", async () => {
    const model = createConvNetModel();
    const { result } = quantize(model);
    expect(ops(result).filter((o) => o === "ConvInteger")).toHaveLength(2);
    expect(validateModel(result)).toEqual([]);
    await compare(model, result, { x: floatInput([2, 3, 16, 16], 23) });
  });

  it("supports int8 weights, per-tensor scales and reduced range", async () => {
    const model = createConvNetModel();
    for (const options of [
      { weightType: "int8" },
      { perChannel: false },
      { reduceRange: true, weightType: "int8" },
    ] as const) {
      const { result } = quantize(model, options);
      const q = result.graph.initializer.find((t) => t.name === "conv1.w_quantized");
      expect(q?.dataType).toBe(options.weightType === "int8" ? DATA_TYPE.INT8 : DATA_TYPE.UINT8);
      await compare(
        model,
        result,
        { x: floatInput([1, 3, 16, 16], 24) },
        { cosine: 0.99, relativeMaxAbs: 0.25 },
      );
    }
  });

  it("honours the ops and excludeNodes options", () => {
    expect(ops(quantize(createConvNetModel(), { ops: ["Gemm"] }).result)).toContain("Conv");
    const { result, log } = quantize(createMlpModel(), { excludeNodes: ["fc2"] });
    expect(ops(result).filter((o) => o === "MatMul")).toHaveLength(1);
    expect(log[0]).toMatch(/quantized 1 MatMul/);
  });

  it("quantizes a weight shared by two MatMuls once, and one activation feeding two MatMuls once", async () => {
    const model = createModel({
      graph: createGraph({
        inputs: [createValueInfo("x", "float32", [2, 8])],
        outputs: [createValueInfo("y", "float32", [2, 8])],
        initializers: [createFloatTensor("W", [8, 8], randomFloats(64, 31))],
        nodes: [
          createNode("MatMul", ["x", "W"], ["a"]),
          createNode("MatMul", ["x", "W"], ["b"]),
          createNode("Add", ["a", "b"], ["y"]),
        ],
      }),
    });
    const { result } = quantize(model);
    expect(ops(result).filter((o) => o === "DynamicQuantizeLinear")).toHaveLength(1);
    expect(
      result.graph.initializer.filter((t) => t.dataType === DATA_TYPE.UINT8 && t.dims.length === 2),
    ).toHaveLength(1);
    await compare(model, result, { x: floatInput([2, 8], 32) });
  });

  it("follows weights behind Transpose and Constant nodes", async () => {
    const model = createModel({
      graph: createGraph({
        inputs: [createValueInfo("x", "float32", [2, 6])],
        outputs: [createValueInfo("y", "float32", [2, 4])],
        initializers: [createFloatTensor("Wt", [4, 6], randomFloats(24, 33))],
        nodes: [
          createNode("Transpose", ["Wt"], ["W"], { name: "transpose_w" }),
          createNode("MatMul", ["x", "W"], ["y"]),
        ],
      }),
    });
    const { result } = quantize(model);
    expect(ops(result)).not.toContain("Transpose");
    expect(result.graph.initializer.map((t) => t.name)).not.toContain("Wt");
    await compare(model, result, { x: floatInput([2, 6], 34) });
  });

  it("raises opset 9 to 11 when safe, and refuses clearly when not", async () => {
    const old = createMlpModel(9);
    old.irVersion = 4;
    const { result, log } = quantize(old);
    expect(result.opsetImport[0]?.version).toBe(11);
    expect(log.join("\n")).toMatch(/raised default opset from 9 to 11/);
    await compare(old, result, { x: floatInput([1, 16], 25) });

    expect(() => quantize(createOldSliceModel())).toThrowError(PassError);
    expect(() => quantize(createOldSliceModel())).toThrowError(/opset 9.*Slice.*opset_version=13/);
  });

  it("fails as not applicable (instead of copying the model) when nothing can be quantized", () => {
    const model = createModel({
      graph: createGraph({
        inputs: [createValueInfo("a", "float32", [2, 3]), createValueInfo("b", "float32", [3, 2])],
        outputs: [createValueInfo("y", "float32", [2, 2])],
        nodes: [createNode("MatMul", ["a", "b"], ["y"], { name: "mm" })],
      }),
    });
    try {
      quantize(model);
      expect.unreachable();
    } catch (error) {
      expect((error as PassError).code).toBe("PASS_NOT_APPLICABLE");
      expect((error as Error).message).toMatch(/nothing to quantize.*'mm': weight is not a constant/);
    }
  });
});
