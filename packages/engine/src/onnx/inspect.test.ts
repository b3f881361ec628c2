import { describe, expect, it } from "vitest";
import { createConvNetModel, createGemmModel, createMlpModel } from "../../test/fixtures";
import { createGraph, createModel, createNode, createValueInfo } from "./builder";
import { serializeModel } from "./codec";
import { inspectModel } from "./inspect";
import { createFloatTensor } from "./tensor";

describe("inspectModel", () => {
  it("summarizes an MLP: interface, ops, params, MACs, size", () => {
    const model = createMlpModel();
    const summary = inspectModel(model);
    expect(summary.inputs).toEqual([{ name: "x", elemType: "float32", shape: ["batch", 16] }]);
    expect(summary.outputs).toEqual([{ name: "y", elemType: "float32", shape: ["batch", 8] }]);
    expect(summary.opHistogram).toEqual({ MatMul: 2, Add: 2, Relu: 1 });
    expect(summary.nodeCount).toBe(5);
    expect(summary.params).toBe(16 * 32 + 32 + 32 * 8 + 8);
    expect(summary.macs).toBe(16 * 32 + 32 * 8);
    expect(summary.macsUnknownNodes).toBe(0);
    expect(summary.assumedDims).toEqual({ batch: 1 });
    expect(summary.sizeBytes).toBe(serializeModel(model).byteLength);
    expect(summary.opsets).toEqual([{ domain: "ai.onnx", version: 13 }]);
  });

  it("scales MACs with the assumed batch", () => {
    expect(inspectModel(createMlpModel(), { dims: { batch: 4 } }).macs).toBe(4 * (16 * 32 + 32 * 8));
  });

  it("counts Conv (with padding, stride, groups) and Gemm MACs", () => {
    const summary = inspectModel(createConvNetModel());
    const conv1 = 8 * 16 * 16 * 3 * 9; // out [1,8,16,16], 3 in-channels × 3×3
    const conv2 = 8 * 7 * 7 * 4 * 9; // out [1,8,7,7], group 2 → 4 in-channels per output
    expect(summary.macsByOp).toEqual({ Conv: conv1 + conv2, Gemm: 8 * 5 });
    expect(summary.macs).toBe(conv1 + conv2 + 40);
  });

  it("handles Gemm with transB", () => {
    expect(inspectModel(createGemmModel()).macs).toBe(4 * 10 * 12);
  });

  it("counts MatMuls whose shapes are unknown instead of guessing", () => {
    const model = createModel({
      graph: createGraph({
        inputs: [{ name: "x", metadataProps: [] }],
        outputs: [createValueInfo("y", "float32")],
        initializers: [createFloatTensor("W", [4, 2], new Float32Array(8))],
        nodes: [createNode("MatMul", ["x", "W"], ["y"])],
      }),
    });
    const summary = inspectModel(model);
    expect(summary.macs).toBe(0);
    expect(summary.macsUnknownNodes).toBe(1);
    expect(summary.inputs[0]).toEqual({ name: "x", elemType: "unknown", shape: null });
  });

  it("lists only real inputs when initializers are also graph inputs (IR < 4 style)", () => {
    const model = createMlpModel();
    model.graph.input.push(createValueInfo("W1", "float32", [16, 32]));
    expect(inspectModel(model).inputs.map((i) => i.name)).toEqual(["x"]);
  });
});
