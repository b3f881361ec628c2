import { describe, expect, it } from "vitest";
import {
  createConvNetModel,
  createGemmModel,
  createMlpModel,
  floatInput,
  randomFloats,
} from "../../test/fixtures";
import { getOptimizedOpHistogram } from "../../test/ort-optimized";
import { ortRuntime, runModel } from "../../test/ort-runtime";
import { expectOutputsClose, type Tolerance } from "../../test/tolerance";
import type { NpyArray } from "../data/npy";
import { EvaluationError, PassError } from "../errors";
import { createEvaluationSet, type EvaluationSet } from "../eval/dataset";
import { createIntsAttribute } from "../onnx/attributes";
import { createGraph, createModel, createNode, createValueInfo } from "../onnx/builder";
import { serializeModel } from "../onnx/codec";
import { DATA_TYPE } from "../onnx/data-type";
import type { OnnxModel } from "../onnx/model";
import { createFloatTensor, createInt64Tensor } from "../onnx/tensor";
import { validateModel } from "../onnx/validate";
import type { PassContext, RuntimeTensor } from "../types";
import { createQuantizeStaticInt8Pass, type QuantizeStaticInt8Options } from "./quantize-static-int8";

/** Calibration set of `samples` random rows for a single-input model. */
function calibrationSet(model: OnnxModel, shape: number[], seed: number, scale = 1): EvaluationSet {
  const name = model.graph.input[0]?.name ?? "x";
  const count = shape.reduce((a, b) => a * b, 1);
  const array: NpyArray = { name, dtype: "float32", shape, data: randomFloats(count, seed, scale) };
  return createEvaluationSet(model, new Map([[name, array]]), { batchSize: 16 });
}

async function quantize(
  model: OnnxModel,
  data: EvaluationSet | undefined,
  options: QuantizeStaticInt8Options = {},
) {
  const log: string[] = [];
  const context: PassContext = {
    log: (m) => log.push(m),
    runtime: ortRuntime,
    ...(data ? { data: { calibration: data } } : {}),
  };
  const result = await createQuantizeStaticInt8Pass(options).run(model, context);
  return { result, log };
}

async function expectClose(
  model: OnnxModel,
  quantized: OnnxModel,
  feeds: Record<string, RuntimeTensor>,
  tolerance: Tolerance = { cosine: 0.99, relativeMaxAbs: 0.15 },
) {
  const output = model.graph.output[0]?.name ?? "y";
  const reference = await runModel(serializeModel(model), feeds);
  const candidate = await runModel(serializeModel(quantized), feeds);
  expectOutputsClose(reference[output] as RuntimeTensor, candidate[output] as RuntimeTensor, tolerance);
}

const ops = (model: OnnxModel) => model.graph.node.map((n) => n.opType);
const count = (model: OnnxModel, op: string) => ops(model).filter((o) => o === op).length;

/**
 * x[batch, 4, 8, 8] → Conv(8) → Relu → Conv(8) → Add(residual) → Relu → MaxPool(2) → Reshape[-1, 128]
 * → MatMul(W[128, 6]) → Add(b) → y[batch, 6]
 */
function createResidualModel(): OnnxModel {
  const conv = (name: string, input: string, output: string) =>
    createNode("Conv", [input, `${name}.w`, `${name}.b`], [output], {
      name,
      attributes: [createIntsAttribute("kernel_shape", [3, 3]), createIntsAttribute("pads", [1, 1, 1, 1])],
    });
  return createModel({
    graph: createGraph({
      name: "residual",
      inputs: [createValueInfo("x", "float32", ["batch", 4, 8, 8])],
      outputs: [createValueInfo("y", "float32", ["batch", 6])],
      initializers: [
        createFloatTensor("c1.w", [8, 4, 3, 3], randomFloats(8 * 36, 41, 0.3)),
        createFloatTensor("c1.b", [8], randomFloats(8, 42, 0.1)),
        createFloatTensor("c2.w", [8, 8, 3, 3], randomFloats(8 * 72, 43, 0.2)),
        createFloatTensor("c2.b", [8], randomFloats(8, 44, 0.1)),
        createInt64Tensor("shape", [2], [-1, 128]),
        createFloatTensor("W", [128, 6], randomFloats(128 * 6, 45, 0.2)),
        createFloatTensor("b", [6], randomFloats(6, 46, 0.1)),
      ],
      nodes: [
        conv("c1", "x", "c1_out"),
        createNode("Relu", ["c1_out"], ["r1"], { name: "relu1" }),
        conv("c2", "r1", "c2_out"),
        createNode("Add", ["c2_out", "r1"], ["sum"], { name: "residual_add" }),
        createNode("Relu", ["sum"], ["r2"], { name: "relu2" }),
        createNode("MaxPool", ["r2"], ["pooled"], {
          name: "pool",
          attributes: [createIntsAttribute("kernel_shape", [2, 2]), createIntsAttribute("strides", [2, 2])],
        }),
        createNode("Reshape", ["pooled", "shape"], ["flat"], { name: "reshape" }),
        createNode("MatMul", ["flat", "W"], ["logits"], { name: "fc" }),
        createNode("Add", ["logits", "b"], ["y"], { name: "fc_bias" }),
      ],
    }),
  });
}

describe("quantize-static-int8", () => {
  it("turns a Conv+Relu net into QDQ that ORT fuses into QLinearConv, and matches the original", async () => {
    const model = createConvNetModel();
    const before = structuredClone(model);
    const { result, log } = await quantize(model, calibrationSet(model, [64, 3, 16, 16], 101));
    expect(model).toEqual(before); // input untouched
    expect(validateModel(result)).toEqual([]);
    expect(count(result, "Conv")).toBe(2);
    expect(result.graph.initializer.find((t) => t.name === "conv1.w_quantized")?.dataType).toBe(
      DATA_TYPE.INT8,
    );
    expect(result.graph.initializer.find((t) => t.name === "conv1.w_scale")?.dims).toEqual([8]); // per channel
    expect(result.graph.initializer.map((t) => t.name)).not.toContain("conv1.w"); // fp32 weights dropped
    expect(log[0]).toMatch(
      /quantized 2 Conv, 1 Gemm; \d+ activation\(s\) as uint8 calibrated with entropy on 64 sample/,
    );
    await expectClose(model, result, { x: floatInput([4, 3, 16, 16], 102) });

    const fused = await getOptimizedOpHistogram(serializeModel(result));
    expect(fused.QLinearConv).toBe(2);
    expect(fused.QLinearGlobalAveragePool).toBe(1);
    expect(fused.QGemm).toBe(1);
    expect(fused.Relu).toBeUndefined(); // folded into QLinearConv through the output zero point
    expect(fused.DequantizeLinear).toBeUndefined();
    expect(fused.QuantizeLinear).toBe(1); // the model input
  });

  it("quantizes a residual block: QLinearAdd, MaxPool/Reshape on 8 bits, QLinearMatMul, float bias Add at the output", async () => {
    const model = createResidualModel();
    const { result } = await quantize(model, calibrationSet(model, [48, 4, 8, 8], 103));
    expect(validateModel(result)).toEqual([]);
    await expectClose(model, result, { x: floatInput([5, 4, 8, 8], 104) });

    const fused = await getOptimizedOpHistogram(serializeModel(result));
    expect(fused.QLinearConv).toBe(2);
    expect(fused.QLinearAdd).toBe(1);
    expect(fused.QLinearMatMul).toBe(1);
    expect(fused.NhwcMaxPool).toBe(1); // uint8 MaxPool in ORT's channels-last layout
    expect(fused.Reshape).toBe(1);
    expect(fused.DequantizeLinear).toBe(1); // QLinearMatMul's output feeds the float bias Add of the graph output
    expect(fused.Add).toBe(1);
    expect(fused.QuantizeLinear).toBe(1);
  });

  it("quantizes an MLP's MatMuls and bias Adds, and Gemm (transB, alpha, beta)", async () => {
    const mlp = createMlpModel();
    const { result } = await quantize(mlp, calibrationSet(mlp, [64, 16], 105));
    expect(result.graph.initializer.find((t) => t.name === "W1_scale")?.dims).toEqual([32]); // axis 1 of [K, N]
    await expectClose(mlp, result, { x: floatInput([7, 16], 106) });
    const fusedMlp = await getOptimizedOpHistogram(serializeModel(result));
    expect(fusedMlp.QLinearMatMul).toBe(2);
    expect(fusedMlp.QLinearAdd).toBe(1); // fc1 bias (+ Relu); fc2's bias Add produces the output and stays float

    for (const options of [{}, { alpha: 0.5, beta: 2 }]) {
      const gemm = createGemmModel(options);
      const quantized = (await quantize(gemm, calibrationSet(gemm, [32, 12], 107))).result;
      expect(quantized.graph.initializer.find((t) => t.name === "W_scale")?.dims).toEqual([10]); // transB=1: axis 0
      const node = quantized.graph.node.find((n) => n.opType === "Gemm");
      expect(node?.attribute.map((a) => a.name)).toEqual(["transB"]); // alpha/beta folded
      await expectClose(gemm, quantized, { x: floatInput([4, 12], 108) });
      expect((await getOptimizedOpHistogram(serializeModel(quantized))).QGemm).toBe(1);
    }
  });

  it("honours excludeNodes, ops, perChannel and the calibration methods", async () => {
    const model = createConvNetModel();
    const data = calibrationSet(model, [32, 3, 16, 16], 109);
    const feeds = { x: floatInput([2, 3, 16, 16], 110) };

    const excluded = (await quantize(model, data, { excludeNodes: ["conv2"] })).result;
    expect(excluded.graph.node.find((n) => n.name === "conv2")?.input[1]).toBe("conv2.w"); // float weight kept
    await expectClose(model, excluded, feeds);

    const convOnly = (await quantize(model, data, { ops: ["Conv"] })).result;
    expect(convOnly.graph.node.find((n) => n.opType === "Gemm")?.input[1]).toBe("fc.w");

    const perTensor = (await quantize(model, data, { perChannel: false })).result;
    expect(perTensor.graph.initializer.find((t) => t.name === "conv1.w_scale")?.dims).toEqual([]);
    await expectClose(model, perTensor, feeds);

    for (const calibration of ["minmax", "percentile"] as const) {
      const { result, log } = await quantize(model, data, { calibration, percentile: 99.9 });
      expect(log[0]).toContain(`calibrated with ${calibration}`);
      await expectClose(model, result, feeds, { cosine: 0.99 }); // percentile trades the largest errors for resolution
    }
  });

  it("supports int8 activations and uint8-stored weights", async () => {
    const model = createConvNetModel();
    const data = calibrationSet(model, [32, 3, 16, 16], 111);
    const feeds = { x: floatInput([2, 3, 16, 16], 112) };
    const int8 = (await quantize(model, data, { activationType: "int8" })).result;
    expect(int8.graph.initializer.find((t) => t.name === "x_zero_point")?.dataType).toBe(DATA_TYPE.INT8);
    await expectClose(model, int8, feeds);
    const unsigned = (await quantize(model, data, { weightType: "uint8", reduceRange: false })).result;
    expect(unsigned.graph.initializer.find((t) => t.name === "conv1.w_quantized")?.dataType).toBe(
      DATA_TYPE.UINT8,
    );
    await expectClose(model, unsigned, feeds);
  });

  it("keeps a graph output's name when its Conv output is quantized", async () => {
    const model = createModel({
      graph: createGraph({
        inputs: [createValueInfo("x", "float32", ["batch", 2, 6, 6])],
        outputs: [createValueInfo("y", "float32", ["batch", 3, 6, 6])],
        initializers: [createFloatTensor("w", [3, 2, 1, 1], randomFloats(6, 113))],
        nodes: [createNode("Conv", ["x", "w"], ["y"], { name: "conv" })],
      }),
    });
    const { result } = await quantize(model, calibrationSet(model, [16, 2, 6, 6], 114));
    expect(result.graph.output.map((o) => o.name)).toEqual(["y"]);
    expect(result.graph.node.find((n) => n.output[0] === "y")?.opType).toBe("DequantizeLinear");
    await expectClose(model, result, { x: floatInput([2, 2, 6, 6], 115) });
    expect((await getOptimizedOpHistogram(serializeModel(result))).QLinearConv).toBe(1);
  });

  it("raises opset 11 to 13 for per-channel Q/DQ", async () => {
    const model = createConvNetModel();
    model.opsetImport = [{ domain: "", version: 11 }];
    const { result, log } = await quantize(model, calibrationSet(model, [16, 3, 16, 16], 116));
    expect(result.opsetImport[0]?.version).toBe(13);
    expect(log.join("\n")).toMatch(/raised default opset from 11 to 13/);
  });
});

describe("quantize-static-int8 input checks", () => {
  const model = createMlpModel();
  const array = (shape: number[], dtype: NpyArray["dtype"] = "float32"): NpyArray => {
    const n = shape.reduce((a, b) => a * b, 1);
    return {
      name: "x",
      dtype,
      shape,
      data: dtype === "float64" ? new Float64Array(n) : randomFloats(n, 117),
    };
  };
  const set = (inputs: Map<string, NpyArray>, samples = 8): EvaluationSet => ({
    inputs,
    samples,
    batchSize: 8,
  });
  const expectError = async (promise: Promise<unknown>, code: string, message: RegExp) => {
    const error = await promise.then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(error).toBeInstanceOf(code === "DATA_MISMATCH" ? EvaluationError : PassError);
    expect((error as PassError).code).toBe(code);
    expect((error as Error).message).toMatch(message);
  };

  it("asks for --data when there is no calibration data, and for a runtime when there is none", async () => {
    await expectError(quantize(model, undefined), "PASS_NEEDS_DATA", /--data calib\.npz/);
    const data = calibrationSet(model, [8, 16], 118);
    await expectError(
      Promise.resolve(
        createQuantizeStaticInt8Pass().run(model, { log: () => {}, data: { calibration: data } }),
      ),
      "PASS_NOT_APPLICABLE",
      /needs a runtime/,
    );
  });

  it("rejects calibration arrays whose dtype, shape or count does not fit, naming the input", async () => {
    await expectError(
      quantize(model, set(new Map([["x", array([8, 16], "float64")]]))),
      "DATA_MISMATCH",
      /calibration data.*'x' is float64 but model input 'x' expects float32/,
    );
    await expectError(
      quantize(model, set(new Map([["x", array([8, 15])]]))),
      "DATA_MISMATCH",
      /calibration data.*model input 'x' needs \[batch, 16\]/,
    );
    await expectError(quantize(model, set(new Map([["x", array([0, 16])]]), 0)), "DATA_MISMATCH", /0 sample/);
  });

  it("rejects calibration data without an array for each input of a multi-input model", async () => {
    const twoInputs = createModel({
      graph: createGraph({
        inputs: [createValueInfo("a", "float32", ["n", 4]), createValueInfo("b", "float32", ["n", 4])],
        outputs: [createValueInfo("y", "float32", ["n", 3])],
        initializers: [createFloatTensor("W", [4, 3], randomFloats(12, 119))],
        nodes: [
          createNode("Add", ["a", "b"], ["s"]),
          createNode("MatMul", ["s", "W"], ["y"], { name: "mm" }),
        ],
      }),
    });
    const a = { ...array([8, 4]), name: "a" };
    await expectError(
      quantize(
        twoInputs,
        set(
          new Map([
            ["a", a],
            ["c", { ...a, name: "c" }],
          ]),
        ),
      ),
      "DATA_MISMATCH",
      /no array named 'b'/,
    );
  });

  it("rejects invalid options when the pass is created", () => {
    expect(() => createQuantizeStaticInt8Pass({ calibration: "kl" as never })).toThrowError(
      /unknown calibration method 'kl'/,
    );
    for (const percentile of [0, 101]) {
      try {
        createQuantizeStaticInt8Pass({ calibration: "percentile", percentile });
        expect.unreachable();
      } catch (error) {
        expect((error as PassError).code).toBe("PASS_OPTIONS_INVALID");
      }
    }
  });

  it("refuses models with nothing to quantize, or already quantized", async () => {
    const noWeights = createModel({
      graph: createGraph({
        inputs: [createValueInfo("x", "float32", [2, 4])],
        outputs: [createValueInfo("y", "float32", [2, 4])],
        nodes: [createNode("Relu", ["x"], ["y"])],
      }),
    });
    await expectError(
      quantize(noWeights, calibrationSet(noWeights, [2, 4], 120)),
      "PASS_NOT_APPLICABLE",
      /nothing to quantize/,
    );
    const once = (await quantize(model, calibrationSet(model, [16, 16], 121))).result;
    await expectError(
      quantize(once, calibrationSet(once, [16, 16], 122)),
      "PASS_NOT_APPLICABLE",
      /already quantized/,
    );
  });
});
