import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import ort from "onnxruntime-node";
import { afterAll, describe, expect, it } from "vitest";
import {
  createConvNetModel,
  createGemmModel,
  createMlpModel,
  createShapeSubgraphModel,
  floatInput,
  randomFloats,
} from "../../test/fixtures";
import { runModel } from "../../test/ort-runtime";
import { expectOutputsClose } from "../../test/tolerance";
import { createTinyTransformerModel, tokenInput } from "../../test/transformer-fixture";
import { PassError } from "../errors";
import { createIntAttribute } from "../onnx/attributes";
import { createGraph, createModel, createNode, createValueInfo } from "../onnx/builder";
import { parseModel, serializeModel } from "../onnx/codec";
import { DATA_TYPE } from "../onnx/data-type";
import { float16BitsToFloat32, toFloat16 } from "../onnx/float16";
import type { OnnxModel } from "../onnx/model";
import { createFloatTensor, getTensorByteSize, getTensorData } from "../onnx/tensor";
import { validateModel } from "../onnx/validate";
import type { RuntimeTensor } from "../types";
import { createFp16Pass, type Fp16Options } from "./fp16";
import { ORT_CPU_FP16_UNSUPPORTED_OPS } from "./fp16-types";

function convert(model: OnnxModel, options: Fp16Options = {}) {
  const log: string[] = [];
  const result = createFp16Pass(options).run(model, { log: (m) => log.push(m) }) as OnnxModel;
  expect(validateModel(result)).toEqual([]);
  return { result, log };
}

async function expectClose(
  model: OnnxModel,
  converted: OnnxModel,
  feeds: Record<string, RuntimeTensor>,
  output: string,
) {
  const reference = await runModel(serializeModel(model), feeds);
  const candidate = await runModel(serializeModel(converted), feeds);
  expect(candidate[output]!.type).toBe("float32");
  expectOutputsClose(reference[output]!, candidate[output]!, { cosine: 0.999, relativeMaxAbs: 0.01 });
}

const ops = (model: OnnxModel) => model.graph.node.map((n) => n.opType);
const typeOf = (model: OnnxModel, name: string) =>
  model.graph.initializer.find((t) => t.name === name)?.dataType;
const weightBytes = (model: OnnxModel) =>
  model.graph.initializer.reduce((n, t) => n + getTensorByteSize(t), 0);
const ALL_OPS: Fp16Options = { blockOps: [] };

describe("fp16", () => {
  it("by default stores weights in float16 and keeps ops without CPU float16 kernels in float32", async () => {
    const model = createMlpModel();
    const { result, log } = convert(model);
    // MatMul/Add/Relu are blocked: each weight is stored float16 and Cast back (folded by ORT at load)
    expect(typeOf(result, "W1_fp16")).toBe(DATA_TYPE.FLOAT16);
    expect(typeOf(result, "W1")).toBeUndefined();
    expect(ops(result)).toEqual(["Cast", "Cast", "MatMul", "Add", "Relu", "MatMul", "Add"]);
    // biases under 64 values stay float32 (a Cast node would cost more than it saves)
    expect(typeOf(result, "b1")).toBe(DATA_TYPE.FLOAT);
    expect(weightBytes(result)).toBe((16 * 32 + 32 * 8) * 2 + (32 + 8) * 4);
    expect(log.join("\n")).toMatch(/kept in float32 \(block list.*2 MatMul, 2 Add, 1 Relu/);
    await expectClose(model, result, { x: floatInput([3, 16], 91) }, "y");
  });

  it("with an empty block list computes in float16 with float32 graph inputs and outputs", async () => {
    const model = createMlpModel();
    const { result } = convert(model, ALL_OPS);
    expect(ops(result)).toEqual(["Cast", "MatMul", "Add", "Relu", "MatMul", "Add", "Cast"]);
    for (const name of ["W1", "b1", "W2", "b2"]) expect(typeOf(result, name)).toBe(DATA_TYPE.FLOAT16);
    expect(result.graph.input[0]?.type?.tensorType?.elemType).toBe(DATA_TYPE.FLOAT);
    expect(result.graph.output[0]?.type?.tensorType?.elemType).toBe(DATA_TYPE.FLOAT);
    await expectClose(model, result, { x: floatInput([3, 16], 92) }, "y");
  });

  it("can expose float16 graph inputs and outputs (keepIoFloat32: false)", async () => {
    const model = createMlpModel();
    const { result } = convert(model, { ...ALL_OPS, keepIoFloat32: false });
    expect(ops(result)).toEqual(["MatMul", "Add", "Relu", "MatMul", "Add"]);
    expect(result.graph.input[0]?.type?.tensorType?.elemType).toBe(DATA_TYPE.FLOAT16);
    expect(result.graph.output[0]?.type?.tensorType?.elemType).toBe(DATA_TYPE.FLOAT16);
    const x = floatInput([3, 16], 93);
    const half = { type: "float16", dims: x.dims, data: toFloat16(x.data as Float32Array).bits };
    const out = (await runModel(serializeModel(result), { x: half })).y!;
    const reference = (await runModel(serializeModel(model), { x })).y!;
    const asFloat = {
      ...out,
      type: "float32",
      data: Float32Array.from(out.data as Uint16Array, float16BitsToFloat32),
    };
    expectOutputsClose(reference, asFloat, { cosine: 0.999 });
  });

  it("converts Gemm, Conv and pooling nets and an attention block, leaving int64 shape values alone", async () => {
    for (const options of [{}, ALL_OPS]) {
      await expectClose(
        createGemmModel({ alpha: 0.5, beta: 2 }),
        convert(createGemmModel({ alpha: 0.5, beta: 2 }), options).result,
        { x: floatInput([4, 12], 94) },
        "y",
      );
      await expectClose(
        createConvNetModel(),
        convert(createConvNetModel(), options).result,
        { x: floatInput([2, 3, 16, 16], 95) },
        "y",
      );
      const transformer = createTinyTransformerModel();
      const { result } = convert(transformer, options);
      for (const name of ["pos_slice_starts", "mask_slice_ends"])
        expect(typeOf(result, name)).toBe(DATA_TYPE.INT64);
      await expectClose(transformer, result, { tokens: tokenInput(2, 3) }, "logits");
    }
    const transformer = convert(createTinyTransformerModel(), ALL_OPS).result;
    expect(transformer.graph.node.find((n) => n.name === "softmax")?.input[0]).toBe("masked");
    expect(typeOf(transformer, "mask")).toBe(DATA_TYPE.FLOAT16); // 0/−inf survives float16 exactly
  });

  it("follows the input precision in shape-only ops and refuses models with nothing to convert", async () => {
    const model = createShapeSubgraphModel();
    expect(() => convert(model, ALL_OPS)).toThrowError(PassError);
    try {
      convert(model, ALL_OPS);
    } catch (error) {
      expect((error as PassError).code).toBe("PASS_NOT_APPLICABLE");
      expect((error as PassError).message).toMatch(/nothing to convert/);
    }
    const { result } = convert(model, { ...ALL_OPS, keepIoFloat32: false });
    expect(ops(result)).toEqual(["Shape", "Gather", "Unsqueeze", "Concat", "Reshape"]);
    expect(result.graph.output[0]?.type?.tensorType?.elemType).toBe(DATA_TYPE.FLOAT16);
  });

  it("keeps a float constant that is only cast to an integer exact (no float16 rounding)", async () => {
    const model = createModel({
      graph: createGraph({
        inputs: [createValueInfo("x", "float32", [2, 3])],
        outputs: [createValueInfo("y", "float32", [2, 64]), createValueInfo("n", "int64", [1])],
        initializers: [
          createFloatTensor("big", [1], [70001]),
          createFloatTensor("W", [3, 64], randomFloats(192, 98)),
        ],
        nodes: [
          createNode("MatMul", ["x", "W"], ["y"], { name: "mm" }),
          createNode("Cast", ["big"], ["n"], {
            name: "to_int",
            attributes: [createIntAttribute("to", DATA_TYPE.INT64)],
          }),
        ],
      }),
    });
    for (const options of [{}, ALL_OPS]) {
      const { result } = convert(model, options);
      expect(typeOf(result, "big")).toBe(DATA_TYPE.FLOAT);
      const out = await runModel(serializeModel(result), { x: floatInput([2, 3], 97) });
      expect(out.n!.data).toEqual(BigInt64Array.of(70001n));
    }
  });

  it("saturates weights beyond the float16 range and says so", async () => {
    const weights = randomFloats(16 * 8, 96, 0.5);
    weights[3] = 1e6;
    weights[4] = -1e9;
    const model = createModel({
      graph: createGraph({
        inputs: [createValueInfo("x", "float32", [2, 16])],
        outputs: [createValueInfo("y", "float32", [2, 8])],
        initializers: [createFloatTensor("W", [16, 8], weights)],
        nodes: [createNode("MatMul", ["x", "W"], ["y"], { name: "mm" })],
      }),
    });
    const { result, log } = convert(model, ALL_OPS);
    const stored = getTensorData(result.graph.initializer.find((t) => t.name === "W")!) as Uint16Array;
    expect(float16BitsToFloat32(stored[3] as number)).toBe(65504);
    expect(float16BitsToFloat32(stored[4] as number)).toBe(-65504);
    expect(log.join("\n")).toMatch(/2 weight value\(s\) beyond ±65504 saturated/);
  });
});

describe("onnxruntime-node CPU float16 kernels (the default block list)", () => {
  const dir = mkdtempSync(join(tmpdir(), "ew-fp16-"));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  /** Casts onnxruntime inserts around a one-node float16 model when it has no float16 kernel for the op. */
  async function insertedCasts(op: string, inputs = 2): Promise<number> {
    const names = ["a", "b"].slice(0, inputs);
    const model = createModel({
      graph: createGraph({
        inputs: names.map((n) => createValueInfo(n, DATA_TYPE.FLOAT16, [4, 4])),
        outputs: [createValueInfo("y", DATA_TYPE.FLOAT16)],
        nodes: [createNode(op, names, ["y"], { name: "probe" })],
      }),
    });
    const path = join(dir, `${op}.onnx`);
    const session = await ort.InferenceSession.create(serializeModel(model), {
      graphOptimizationLevel: "disabled",
      optimizedModelFilePath: path,
      logSeverityLevel: 3,
    });
    await session.release();
    return parseModel(new Uint8Array(readFileSync(path))).graph.node.filter((n) => n.opType === "Cast")
      .length;
  }

  it("matches what ORT 1.30 does: Add/Mul/MatMul/Relu fall back to float32, Transpose/Min/Max are native", async () => {
    for (const [op, inputs] of [
      ["Add", 2],
      ["Mul", 2],
      ["MatMul", 2],
      ["Relu", 1],
    ] as const) {
      expect(ORT_CPU_FP16_UNSUPPORTED_OPS).toContain(op);
      expect(await insertedCasts(op, inputs)).toBeGreaterThan(0);
    }
    for (const [op, inputs] of [
      ["Transpose", 1],
      ["Min", 2],
      ["Max", 2],
    ] as const) {
      expect(ORT_CPU_FP16_UNSUPPORTED_OPS).not.toContain(op);
      expect(await insertedCasts(op, inputs)).toBe(0);
    }
  });
});
