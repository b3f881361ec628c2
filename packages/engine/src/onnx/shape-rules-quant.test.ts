import { describe, expect, it } from "vitest";
import { createConvNetModel, createMlpModel } from "../../test/fixtures";
import { quantizeDynamicInt8Pass } from "../passes/quantize-dynamic-int8";
import { createIntAttribute, createIntsAttribute } from "./attributes";
import { createGraph, createModel, createNode, createValueInfo } from "./builder";
import { DATA_TYPE } from "./data-type";
import { inspectModel } from "./inspect";
import { inferShapes } from "./shape-infer";
import { createFloatTensor, createTensor } from "./tensor";

const silent = { log: () => undefined };

describe("shape rules for quantized graphs", () => {
  it("reports the same MACs for int8-dynamic variants as for the float model", async () => {
    for (const model of [createMlpModel(), createConvNetModel()]) {
      const quantized = await quantizeDynamicInt8Pass.run(model, silent);
      const before = inspectModel(model);
      const after = inspectModel(quantized);
      expect(after.macsUnknownNodes).toBe(0);
      expect(after.macs).toBe(before.macs);
      const facts = inferShapes(quantized);
      const integerOp = quantized.graph.node.find((n) => n.opType.endsWith("Integer"));
      expect(facts.get(integerOp?.output[0] ?? "")?.elemType).toBe(DATA_TYPE.INT32);
    }
  });

  it("infers QuantizeLinear/DequantizeLinear types, QLinearConv, and com.microsoft MatMulNBits / QLinearAdd", () => {
    const u8 = (name: string, value: number) => createTensor(name, DATA_TYPE.UINT8, [], Uint8Array.of(value));
    const model = createModel({
      extraOpsets: [{ domain: "com.microsoft", version: 1 }],
      graph: createGraph({
        inputs: [
          createValueInfo("x", "float32", ["batch", 2, 8, 8]),
          createValueInfo("a", "float32", ["batch", 5, 32]),
        ],
        outputs: [
          createValueInfo("y", "float32"),
          createValueInfo("m", "float32"),
          createValueInfo("s", "uint8"),
        ],
        initializers: [
          createFloatTensor("sc", [], [0.1]),
          u8("zp", 128),
          createTensor("w", DATA_TYPE.INT8, [4, 2, 3, 3], new Int8Array(72)),
          createTensor("wzp", DATA_TYPE.INT8, [], new Int8Array(1)),
          createTensor("nbits", DATA_TYPE.UINT8, [16, 1, 16], new Uint8Array(256)),
          createFloatTensor("nbits_scale", [16], new Float32Array(16)),
        ],
        nodes: [
          createNode("QuantizeLinear", ["x", "sc", "zp"], ["xq"]),
          createNode("QLinearConv", ["xq", "sc", "zp", "w", "sc", "wzp", "sc", "zp"], ["yq"], {
            attributes: [createIntsAttribute("pads", [1, 1, 1, 1])],
          }),
          createNode("DequantizeLinear", ["yq", "sc", "zp"], ["y"]),
          createNode("QLinearAdd", ["yq", "sc", "zp", "yq", "sc", "zp", "sc", "zp"], ["s"], {
            domain: "com.microsoft",
          }),
          createNode("MatMulNBits", ["a", "nbits", "nbits_scale"], ["m"], {
            domain: "com.microsoft",
            attributes: [
              createIntAttribute("K", 32),
              createIntAttribute("N", 16),
              createIntAttribute("bits", 4),
              createIntAttribute("block_size", 32),
            ],
          }),
        ],
      }),
    });
    const facts = inferShapes(model, { dims: { batch: 2 } });
    expect(facts.get("xq")).toMatchObject({ shape: [2, 2, 8, 8], elemType: DATA_TYPE.UINT8 });
    expect(facts.get("yq")).toMatchObject({ shape: [2, 4, 8, 8], elemType: DATA_TYPE.UINT8 });
    expect(facts.get("y")).toMatchObject({ shape: [2, 4, 8, 8], elemType: DATA_TYPE.FLOAT });
    expect(facts.get("s")?.shape).toEqual([2, 4, 8, 8]);
    expect(facts.get("m")).toMatchObject({ shape: [2, 5, 16], elemType: DATA_TYPE.FLOAT });
    const summary = inspectModel(model);
    expect(summary.macsUnknownNodes).toBe(0);
    expect(summary.macsByOp).toEqual({ QLinearConv: 4 * 8 * 8 * 2 * 9, MatMulNBits: 5 * 16 * 32 });
  });
});
