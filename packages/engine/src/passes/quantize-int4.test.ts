import { describe, expect, it } from "vitest";
import {
  createConvNetModel,
  createGemmModel,
  createMlpModel,
  floatInput,
  randomFloats,
} from "../../test/fixtures";
import { runModel } from "../../test/ort-runtime";
import { expectOutputsClose, type Tolerance } from "../../test/tolerance";
import { createTinyTransformerModel, tokenInput } from "../../test/transformer-fixture";
import { PassError } from "../errors";
import { createFloatAttribute, createIntAttribute } from "../onnx/attributes";
import { createGraph, createModel, createNode, createValueInfo } from "../onnx/builder";
import { serializeModel } from "../onnx/codec";
import { DATA_TYPE } from "../onnx/data-type";
import type { OnnxModel } from "../onnx/model";
import { createFloatTensor, createTensor, getTensorByteSize } from "../onnx/tensor";
import { validateModel } from "../onnx/validate";
import type { RuntimeTensor } from "../types";
import { createQuantizeInt4Pass, type QuantizeInt4Options } from "./quantize-int4";

function quantize(model: OnnxModel, options: QuantizeInt4Options = { minElements: 0 }) {
  const log: string[] = [];
  const result = createQuantizeInt4Pass(options).run(model, { log: (m) => log.push(m) }) as OnnxModel;
  return { result, log };
}

async function compare(
  model: OnnxModel,
  quantized: OnnxModel,
  feeds: Record<string, RuntimeTensor>,
  output = "y",
  tolerance: Tolerance = { cosine: 0.99, relativeMaxAbs: 0.15 },
) {
  const reference = await runModel(serializeModel(model), feeds);
  const candidate = await runModel(serializeModel(quantized), feeds);
  expectOutputsClose(reference[output]!, candidate[output]!, tolerance);
}

const ops = (model: OnnxModel) => model.graph.node.map((n) => n.opType);
const weightBytes = (model: OnnxModel) =>
  model.graph.initializer.reduce((n, t) => n + getTensorByteSize(t), 0);
const attr = (model: OnnxModel, op: string, name: string) =>
  model.graph.node.find((n) => n.opType === op)?.attribute.find((a) => a.name === name)?.i;

function expectPassError(run: () => unknown, code: string, message: RegExp) {
  try {
    run();
  } catch (error) {
    expect(error).toBeInstanceOf(PassError);
    expect((error as PassError).code).toBe(code);
    expect((error as PassError).message).toMatch(message);
    return;
  }
  throw new Error("expected a PassError");
}

describe("quantize-int4", () => {
  it("replaces an MLP's MatMuls by MatMulNBits, drops the fp32 weights and matches in ORT", async () => {
    const model = createMlpModel();
    const before = structuredClone(model);
    const { result, log } = quantize(model);
    expect(model).toEqual(before);
    expect(validateModel(result)).toEqual([]);
    expect(ops(result).filter((o) => o === "MatMulNBits")).toHaveLength(2);
    expect(ops(result)).not.toContain("MatMul");
    expect(result.graph.node.find((n) => n.opType === "MatMulNBits")?.domain).toBe("com.microsoft");
    expect(result.opsetImport).toContainEqual({ domain: "com.microsoft", version: 1 });
    const names = result.graph.initializer.map((t) => t.name);
    expect(names).not.toContain("W1");
    expect(names).not.toContain("W2");
    const b = result.graph.initializer.find((t) => t.name === "W1_q4");
    expect(b?.dataType).toBe(DATA_TYPE.UINT8);
    expect(b?.dims).toEqual([32, 1, 16]); // N = 32 rows, K = 16 → one block of 32 (padded), 16 bytes
    expect(attr(result, "MatMulNBits", "bits")).toBe(4n);
    expect(attr(result, "MatMulNBits", "block_size")).toBe(32n);
    expect(log[0]).toMatch(/quantized 2 MatMul to 4-bit MatMulNBits \(block 32\)/);
    await compare(model, result, { x: floatInput([3, 16], 21) });
  });

  it("handles Gemm with transB, alpha, beta and a constant C as the MatMulNBits bias", async () => {
    for (const options of [{}, { alpha: 0.5, beta: 2 }]) {
      const model = createGemmModel(options);
      const { result } = quantize(model);
      expect(ops(result)).toEqual(["MatMulNBits"]);
      const node = result.graph.node[0]!;
      expect(node.input).toHaveLength(6); // A, B, scales, zero_points, (no g_idx), bias
      expect(node.input[4]).toBe("");
      await compare(model, result, { x: floatInput([4, 12], 22) });
    }
  });

  it("adds a non-constant Gemm C after MatMulNBits, scaled by beta", async () => {
    const model = createModel({
      graph: createGraph({
        inputs: [createValueInfo("x", "float32", [3, 40]), createValueInfo("c", "float32", [3, 24])],
        outputs: [createValueInfo("y", "float32", [3, 24])],
        initializers: [createFloatTensor("W", [40, 24], randomFloats(960, 41, 0.4))],
        nodes: [
          createNode("Gemm", ["x", "W", "c"], ["y"], {
            name: "gemm",
            attributes: [createFloatAttribute("alpha", 1.5), createFloatAttribute("beta", 0.5)],
          }),
        ],
      }),
    });
    const { result } = quantize(model, { minElements: 0, blockSize: 16 });
    expect(ops(result)).toEqual(["Mul", "MatMulNBits", "Add"]);
    // K = 40 is not a multiple of 16: three blocks, the last one padded
    expect(result.graph.initializer.find((t) => t.name === "W_q4")?.dims).toEqual([24, 3, 8]);
    await compare(model, result, { x: floatInput([3, 40], 42), c: floatInput([3, 24], 43) });
  });

  it("quantizes the weight MatMuls of an attention block, keeps Q·Kᵀ and P·V float and stores embeddings in 4 bits", async () => {
    const model = createTinyTransformerModel();
    const { result, log } = quantize(model);
    expect(validateModel(result)).toEqual([]);
    expect(ops(result).filter((o) => o === "MatMulNBits")).toHaveLength(5); // q, k, v, o (through Transpose), head
    expect(result.graph.node.filter((n) => n.opType === "MatMul").map((n) => n.name)).toEqual(["qk", "pv"]);
    expect(result.graph.node.some((n) => n.name === "wo_t")).toBe(false); // the constant Transpose is gone
    expect(ops(result).filter((o) => o === "GatherBlockQuantized")).toHaveLength(2); // tok (direct), pos (materialized)
    expect(ops(result)).toContain("Where"); // the 0/−inf mask, stored losslessly as bool
    const names = result.graph.initializer.map((t) => t.name);
    for (const gone of ["tok", "pos", "mask", "Wq", "WoT", "Whead"]) expect(names).not.toContain(gone);
    expect(log.join("\n")).toMatch(/kept in float: MatMul 'qk': weight is not a constant/);
    expect(log.join("\n")).toMatch(/'mask' \[8, 8\]: has non-finite values/);
    expect(weightBytes(result)).toBeLessThan(weightBytes(model) * 0.25);
    await compare(model, result, { tokens: tokenInput(3, 1) }, "logits", {
      cosine: 0.98,
      relativeMaxAbs: 0.3,
    });
    // without embeddings or constant compaction only the MatMuls change
    const plain = quantize(model, {
      minElements: 0,
      quantizeEmbeddings: false,
      compactConstants: false,
    }).result;
    expect(ops(plain)).not.toContain("GatherBlockQuantized");
    expect(plain.graph.initializer.map((t) => t.name)).toEqual(
      expect.arrayContaining(["tok", "pos", "mask"]),
    );
    await compare(model, plain, { tokens: tokenInput(3, 2) }, "logits", {
      cosine: 0.98,
      relativeMaxAbs: 0.3,
    });
  });

  it("quantizes a shared weight once and honours excludeNodes, minElements, accuracyLevel and blockSize", async () => {
    const model = createModel({
      graph: createGraph({
        inputs: [createValueInfo("x", "float32", [2, 64])],
        outputs: [createValueInfo("y", "float32", [2, 64])],
        initializers: [createFloatTensor("W", [64, 64], randomFloats(4096, 51, 0.2))],
        nodes: [
          createNode("MatMul", ["x", "W"], ["h"], { name: "first" }),
          createNode("MatMul", ["h", "W"], ["g"], { name: "second" }),
          createNode("MatMul", ["g", "W"], ["y"], { name: "third" }),
        ],
      }),
    });
    const { result } = quantize(model, { excludeNodes: ["third"], accuracyLevel: 4, blockSize: 64 });
    expect(ops(result)).toEqual(["MatMulNBits", "MatMulNBits", "MatMul"]);
    expect(
      result.graph.initializer.filter((t) => t.name?.startsWith("W_q4") && !t.name.includes("_q4_")),
    ).toHaveLength(1);
    expect(result.graph.initializer.map((t) => t.name)).toContain("W"); // still read by the excluded node
    expect(attr(result, "MatMulNBits", "accuracy_level")).toBe(4n);
    expect(attr(result, "MatMulNBits", "block_size")).toBe(64n);
    await compare(model, result, { x: floatInput([2, 64], 52) });
    expectPassError(
      () => quantize(model, { minElements: 5000 }),
      "PASS_NOT_APPLICABLE",
      /4096 elements \(minElements 5000\)/,
    );
  });

  it("rejects invalid options and models with nothing to quantize", () => {
    for (const blockSize of [0, 8, 24, 48, 32.5]) {
      expectPassError(
        () => createQuantizeInt4Pass({ blockSize }),
        "PASS_OPTIONS_INVALID",
        /power of 2 and at least 16/,
      );
    }
    expectPassError(
      () => createQuantizeInt4Pass({ accuracyLevel: 7 as 4 }),
      "PASS_OPTIONS_INVALID",
      /accuracyLevel/,
    );
    // Conv-only and tiny-Gemm models: nothing eligible
    expectPassError(() => quantize(createConvNetModel(), {}), "PASS_NOT_APPLICABLE", /fc.*40 elements/);
    const attention = createModel({
      graph: createGraph({
        inputs: [createValueInfo("a", "float32", [2, 4]), createValueInfo("b", "float32", [4, 3])],
        outputs: [createValueInfo("y", "float32", [2, 3])],
        nodes: [createNode("MatMul", ["a", "b"], ["y"], { name: "ab" })],
      }),
    });
    expectPassError(() => quantize(attention), "PASS_NOT_APPLICABLE", /weight is not a constant/);
  });

  it("leaves weights it cannot read in float: external data, float64, rank ≠ 2, transA", () => {
    const external = createFloatTensor("W", [16, 16], randomFloats(256, 61));
    external.dataLocation = 1;
    external.externalData = [{ key: "location", value: "weights.bin" }];
    const model = (
      weight: ReturnType<typeof createFloatTensor>,
      op = "MatMul",
      attributes = [] as ReturnType<typeof createIntAttribute>[],
    ) =>
      createModel({
        graph: createGraph({
          inputs: [createValueInfo("x", "float32", [16, 16])],
          outputs: [createValueInfo("y", "float32", [16, 16])],
          initializers: [weight],
          nodes: [createNode(op, ["x", "W"], ["y"], { name: "mm", attributes })],
        }),
      });
    expectPassError(() => quantize(model(external)), "PASS_NOT_APPLICABLE", /external data file/);
    const double = createTensor("W", DATA_TYPE.DOUBLE, [16, 16], new Float64Array(256));
    expectPassError(() => quantize(model(double)), "PASS_NOT_APPLICABLE", /not float32/);
    expectPassError(
      () => quantize(model(createFloatTensor("W", [16], randomFloats(16, 62)))),
      "PASS_NOT_APPLICABLE",
      /rank 1/,
    );
    const transA = model(createFloatTensor("W", [16, 16], randomFloats(256, 63)), "Gemm", [
      createIntAttribute("transA", 1),
    ]);
    expectPassError(() => quantize(transA), "PASS_NOT_APPLICABLE", /transA=1/);
  });
});
