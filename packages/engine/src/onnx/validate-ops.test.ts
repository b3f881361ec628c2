import { describe, expect, it } from "vitest";
import { createMlpModel } from "../../test/fixtures";
import { ModelValidationError } from "../errors";
import { createIntsAttribute } from "./attributes";
import { createGraph, createModel, createNode, createValueInfo } from "./builder";
import type { Node, OnnxModel } from "./model";
import { findDefaultDomainOp, listDefaultDomainOps } from "./op-versions";
import { createFloatTensor } from "./tensor";
import { assertValidModel, validateModel } from "./validate";

function singleOp(
  node: Node,
  opset: number,
  extraOpsets: { domain: string; version: number }[] = [],
): OnnxModel {
  return createModel({
    opset,
    extraOpsets,
    graph: createGraph({
      inputs: [createValueInfo("x", "float32", [2, 4])],
      outputs: [createValueInfo("y", "float32", [2, 4])],
      initializers: [createFloatTensor("g", [4], [1, 1, 1, 1]), createFloatTensor("b", [4], [0, 0, 0, 0])],
      nodes: [node],
    }),
  });
}

describe("operator table", () => {
  it("knows when ops were introduced, changed and deprecated", () => {
    expect(findDefaultDomainOp("LayerNormalization", 16)).toEqual({ status: "too-new", since: 17 });
    expect(findDefaultDomainOp("LayerNormalization", 21)).toEqual({ status: "ok", version: 17 });
    expect(findDefaultDomainOp("Reshape", 18)).toEqual({ status: "ok", version: 14 });
    expect(findDefaultDomainOp("Reshape", 21)).toEqual({ status: "ok", version: 21 });
    expect(findDefaultDomainOp("Gelu", 19).status).toBe("too-new");
    expect(findDefaultDomainOp("Gelu", 20)).toEqual({ status: "ok", version: 20 });
    expect(findDefaultDomainOp("DynamicQuantizeLinear", 11)).toEqual({ status: "ok", version: 11 });
    expect(findDefaultDomainOp("ReduceMean", 18)).toEqual({ status: "ok", version: 18 });
    expect(findDefaultDomainOp("Upsample", 9)).toEqual({ status: "ok", version: 9 });
    expect(findDefaultDomainOp("Upsample", 11)).toMatchObject({ status: "deprecated", deprecatedIn: 10 });
    expect(findDefaultDomainOp("MatMulNBits", 21)).toEqual({ status: "unknown" });
    expect(listDefaultDomainOps(11)).not.toContain("Einsum");
    expect(listDefaultDomainOps(12)).toContain("Einsum");
    expect(listDefaultDomainOps(21)).toEqual(
      expect.arrayContaining(["Mish", "DeformConv", "AffineGrid", "Col2Im"]),
    );
  });
});

describe("validateModel: operators and opsets", () => {
  it("rejects an op added after the model's opset, naming node and op", () => {
    const issues = validateModel(singleOp(createNode("Gelu", ["x"], ["y"], { name: "act" }), 13));
    expect(issues).toEqual([
      expect.objectContaining({ code: "OP_NOT_IN_OPSET", severity: "error", node: "act", opType: "Gelu" }),
    ]);
    expect(issues[0]?.message).toMatch(
      /node 'act' \(Gelu\): Gelu was added in opset 20 but the model imports opset 13/,
    );
    expect(() => assertValidModel(singleOp(createNode("Gelu", ["x"], ["y"]), 13))).toThrowError(
      ModelValidationError,
    );
  });

  it("warns (not errors) for LayerNormalization at opset 13, which only onnxruntime accepts", () => {
    const ln = createNode("LayerNormalization", ["x", "g", "b"], ["y"], { name: "ln" });
    const issues = validateModel(singleOp(ln, 13));
    expect(issues).toEqual([
      expect.objectContaining({
        code: "OP_NOT_IN_OPSET",
        severity: "warning",
        node: "ln",
        opType: "LayerNormalization",
      }),
    ]);
    expect(issues[0]?.message).toMatch(/added in opset 17 .*opset_version=17/);
    expect(validateModel(singleOp(ln, 17))).toEqual([]);
  });

  it("rejects unsupported default opsets with a clear message", () => {
    const old = validateModel(createMlpModel(6));
    expect(old).toEqual([expect.objectContaining({ code: "OPSET_UNSUPPORTED", severity: "error" })]);
    expect(old[0]?.message).toMatch(/ai\.onnx opset 6; the engine handles opsets 7–21/);
    expect(validateModel(createMlpModel(22))[0]).toMatchObject({ code: "OPSET_UNSUPPORTED" });
    expect(validateModel(createMlpModel(7))).toEqual([]);
    expect(validateModel(createMlpModel(21))).toEqual([]);
  });

  it("rejects unknown and deprecated default-domain ops", () => {
    const unknown = validateModel(singleOp(createNode("Frobnicate", ["x"], ["y"], { name: "f" }), 13));
    expect(unknown[0]).toMatchObject({ code: "OP_UNKNOWN", node: "f", opType: "Frobnicate" });
    const upsample = validateModel(singleOp(createNode("Upsample", ["x", "g"], ["y"], { name: "up" }), 11));
    expect(upsample[0]).toMatchObject({ code: "OP_NOT_IN_OPSET", severity: "error" });
    expect(upsample[0]?.message).toMatch(/deprecated since opset 10.*Resize/);
  });

  it("rejects attributes that became inputs (ReduceMean axes at opset 18, Squeeze axes at 13)", () => {
    const reduce = createNode("ReduceMean", ["x"], ["y"], {
      name: "mean",
      attributes: [createIntsAttribute("axes", [1])],
    });
    expect(validateModel(singleOp(reduce, 17))).toEqual([]);
    expect(validateModel(singleOp(reduce, 18))[0]).toMatchObject({ code: "OP_FORM_MISMATCH", node: "mean" });
    const squeeze = createNode("Squeeze", ["x", "axes"], ["y"], { name: "sq" });
    const model = singleOp(squeeze, 11);
    model.graph.initializer.push(createFloatTensor("axes", [1], [0]));
    expect(validateModel(model)[0]?.message).toMatch(/before opset 13 Squeeze takes 'axes' as an attribute/);
  });

  it("checks com.microsoft ops and domain imports", () => {
    const nbits = createNode("MatMulNBits", ["x", "g"], ["y"], { name: "q", domain: "com.microsoft" });
    expect(validateModel(singleOp(nbits, 13))[0]).toMatchObject({ code: "OPSET_MISSING", severity: "error" });
    expect(validateModel(singleOp(nbits, 13, [{ domain: "com.microsoft", version: 1 }]))).toEqual([]);
    const odd = createNode("NotAContribOp", ["x"], ["y"], { name: "o", domain: "com.microsoft" });
    expect(validateModel(singleOp(odd, 13, [{ domain: "com.microsoft", version: 1 }]))[0]).toMatchObject({
      code: "OP_UNVERIFIED",
      severity: "warning",
    });
  });
});
