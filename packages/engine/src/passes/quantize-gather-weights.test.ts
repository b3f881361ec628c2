import { describe, expect, it } from "vitest";
import { randomFloats } from "../../test/fixtures";
import { runModel } from "../../test/ort-runtime";
import { expectOutputsClose } from "../../test/tolerance";
import { createTinyTransformerModel, tokenInput } from "../../test/transformer-fixture";
import { createIntAttribute } from "../onnx/attributes";
import { createGraph, createModel, createNode, createValueInfo } from "../onnx/builder";
import { serializeModel } from "../onnx/codec";
import { DATA_TYPE } from "../onnx/data-type";
import type { OnnxModel } from "../onnx/model";
import { createFloatTensor, getTensorByteSize } from "../onnx/tensor";
import { validateModel } from "../onnx/validate";
import { quantizeGatherWeights } from "./quantize-gather-weights";

const feeds = { tokens: tokenInput(2, 5) };

async function logitsOf(model: OnnxModel) {
  return (await runModel(serializeModel(model), feeds)).logits!;
}

describe("quantizeGatherWeights", () => {
  it("stores Gather and Slice tables as 4-bit blocks read by GatherBlockQuantized", async () => {
    const model = createTinyTransformerModel();
    const copy = structuredClone(model);
    const report = quantizeGatherWeights(copy, { format: "int4-block", minElements: 0 });
    expect(report.quantized).toHaveLength(2);
    expect(report.quantized[0]).toMatch(/'tok' \[32, 32\] → 4-bit blocks of 32: 4096 → \d+ bytes/);
    expect(report.skipped.join()).toMatch(/'mask'.*non-finite/);
    expect(validateModel(copy)).toEqual([]);
    const gathers = copy.graph.node.filter((n) => n.opType === "GatherBlockQuantized");
    expect(gathers.map((n) => n.attribute.find((a) => a.name === "quantize_axis")?.i)).toEqual([1n, 3n]);
    expect(copy.graph.initializer.find((t) => t.name === "pos_q4")?.dims).toEqual([1, 1, 8, 16]);
    expectOutputsClose(await logitsOf(model), await logitsOf(copy), { cosine: 0.995 });
  });

  it("stores tables as uint8 rows behind a standard DequantizeLinear", async () => {
    const model = createTinyTransformerModel();
    const copy = structuredClone(model);
    const report = quantizeGatherWeights(copy, { format: "uint8-rows", minElements: 0 });
    expect(report.quantized).toHaveLength(2);
    const dq = copy.graph.node.filter((n) => n.opType === "DequantizeLinear");
    expect(dq.map((n) => n.attribute.find((a) => a.name === "axis")?.i)).toEqual([0n, 1n]);
    expect(copy.graph.initializer.find((t) => t.name === "tok_u8")?.dataType).toBe(DATA_TYPE.UINT8);
    expect(copy.opsetImport.some((o) => o.domain === "com.microsoft")).toBe(false);
    const bytes = (m: OnnxModel) => m.graph.initializer.reduce((n, t) => n + getTensorByteSize(t), 0);
    expect(bytes(copy)).toBeLessThan(bytes(model) - 3000);
    expectOutputsClose(await logitsOf(model), await logitsOf(copy), { cosine: 0.9999 });
  });

  it("leaves tables alone that are small, shared with other ops, excluded or need a newer opset", () => {
    const shared = createModel({
      opset: 11,
      graph: createGraph({
        inputs: [createValueInfo("i", "int64", [3]), createValueInfo("x", "float32", [2, 16])],
        outputs: [createValueInfo("y", "float32", [3, 16]), createValueInfo("z", "float32", [2, 16])],
        initializers: [
          createFloatTensor("table", [16, 16], randomFloats(256, 71)),
          createFloatTensor("rows", [64, 16], randomFloats(1024, 72)),
        ],
        nodes: [
          createNode("Gather", ["table", "i"], ["y0"], { name: "g1" }),
          createNode("MatMul", ["x", "table"], ["z"], { name: "mm" }),
          createNode("Gather", ["rows", "i"], ["y1"], {
            name: "g2",
            attributes: [createIntAttribute("axis", 0)],
          }),
          createNode("Add", ["y0", "y1"], ["y"], { name: "add" }),
        ],
      }),
    });
    const before = structuredClone(shared);
    const report = quantizeGatherWeights(shared, { format: "uint8-rows", minElements: 0 });
    expect(report.quantized).toEqual([]);
    expect(report.skipped).toEqual([
      "'table' [16, 16]: the table is also read by other ops",
      "'rows' [64, 16]: per-row DequantizeLinear needs opset ≥ 13",
    ]);
    expect(shared).toEqual(before);
    const again = (options: Parameters<typeof quantizeGatherWeights>[1]) =>
      quantizeGatherWeights(structuredClone(shared), options).skipped;
    expect(again({ format: "int4-block", excludeNodes: new Set(["g2"]) })).toContain(
      "'rows' [64, 16]: a reader is excluded",
    );
    expect(again({ format: "int4-block" })).toEqual([
      "'table' [16, 16]: the table is also read by other ops",
    ]);
    expect(again({ format: "int4-block", minElements: 2000 })).toContain(
      "'rows' [64, 16]: only 1024 elements (minElements 2000)",
    );
  });
});
