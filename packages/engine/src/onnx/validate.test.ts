import { describe, expect, it } from "vitest";
import { createConvNetModel, createMlpModel } from "../../test/fixtures";
import { ModelValidationError } from "../errors";
import { createNode } from "./builder";
import { assertValidModel, validateModel } from "./validate";

describe("validateModel", () => {
  it("finds nothing wrong with well-formed models", () => {
    expect(validateModel(createMlpModel())).toEqual([]);
    expect(validateModel(createConvNetModel())).toEqual([]);
  });

  it("reports a dangling input naming the node and op", () => {
    const model = createMlpModel();
    model.graph.node[3]!.input[0] = "missing";
    const issues = validateModel(model);
    expect(issues).toHaveLength(1);
    expect(issues[0]).toMatchObject({
      code: "DANGLING_INPUT",
      node: "fc2",
      opType: "MatMul",
      severity: "error",
    });
    expect(issues[0]?.message).toContain("node 'fc2' (MatMul) reads 'missing'");
  });

  it("reports a cycle", () => {
    const model = createMlpModel();
    model.graph.node[0]!.input[0] = "h1r"; // fc1 now reads relu1's output, which depends on fc1
    const issues = validateModel(model);
    expect(issues.map((i) => i.code)).toContain("CYCLE");
    expect(issues.find((i) => i.code === "CYCLE")?.message).toMatch(/fc1.*MatMul/);
  });

  it("reports duplicate outputs", () => {
    const model = createMlpModel();
    model.graph.node.push(createNode("Relu", ["h2"], ["h1r"], { name: "again" }));
    const issue = validateModel(model).find((i) => i.code === "DUPLICATE_OUTPUT");
    expect(issue?.message).toContain(
      "node 'again' (Relu) writes 'h1r', which node 'relu1' (Relu) also writes",
    );
  });

  it("reports graph outputs nobody produces and warns about out-of-order nodes", () => {
    const model = createMlpModel();
    model.graph.output[0]!.name = "nothing";
    expect(validateModel(model).map((i) => i.code)).toContain("MISSING_GRAPH_OUTPUT");
    const reordered = createMlpModel();
    reordered.graph.node.reverse();
    expect(validateModel(reordered)).toEqual([
      expect.objectContaining({ code: "NOT_TOPOLOGICAL", severity: "warning" }),
    ]);
  });

  it("assertValidModel throws ModelValidationError listing the problems", () => {
    const model = createMlpModel();
    model.graph.node[3]!.input[0] = "missing";
    expect(() => assertValidModel(model)).toThrowError(ModelValidationError);
    expect(() => assertValidModel(model)).toThrowError(/reads 'missing'/);
  });
});
