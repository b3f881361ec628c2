import { describe, expect, it } from "vitest";
import { createConvNetModel, createShapeSubgraphModel } from "../../test/fixtures";
import { createIntAttribute, createIntsAttribute } from "./attributes";
import { createGraph, createModel, createNode, createValueInfo } from "./builder";
import { inferShapes } from "./shape-infer";
import { createFloatTensor, createInt64Tensor } from "./tensor";

describe("inferShapes", () => {
  it("propagates through Conv, pooling, Flatten and Gemm with batch = 1", () => {
    const facts = inferShapes(createConvNetModel());
    expect(facts.get("c1")?.shape).toEqual([1, 8, 16, 16]);
    expect(facts.get("c2")?.shape).toEqual([1, 8, 7, 7]);
    expect(facts.get("gap")?.shape).toEqual([1, 8, 1, 1]);
    expect(facts.get("flat")?.shape).toEqual([1, 8]);
    expect(facts.get("y")?.shape).toEqual([1, 5]);
  });

  it("resolves exporter shape subgraphs (Shape → Gather → Unsqueeze → Concat → Reshape)", () => {
    const facts = inferShapes(createShapeSubgraphModel(), { dims: { batch: 3 } });
    expect(facts.get("shape")?.value).toEqual([3, 6]);
    expect(facts.get("target")?.value).toEqual([3, 2, 3]);
    expect(facts.get("y")?.shape).toEqual([3, 2, 3]);
  });

  it("handles Reshape with 0 and -1, Transpose, MaxPool with ceil_mode, MatMul broadcasting and ConvTranspose", () => {
    const model = createModel({
      graph: createGraph({
        inputs: [createValueInfo("x", "float32", [2, 4, 6, 6])],
        outputs: [createValueInfo("m", "float32")],
        initializers: [
          createInt64Tensor("shape", [3], [0, -1, 6]),
          createFloatTensor("W", [6, 5], new Float32Array(30)),
          createFloatTensor("Wt", [4, 3, 2, 2], new Float32Array(48)),
        ],
        nodes: [
          createNode("MaxPool", ["x"], ["p"], {
            attributes: [
              createIntsAttribute("kernel_shape", [2, 2]),
              createIntsAttribute("strides", [4, 4]),
              createIntAttribute("ceil_mode", 1),
            ],
          }),
          createNode("Reshape", ["x", "shape"], ["r"]),
          createNode("Transpose", ["r"], ["t"], { attributes: [createIntsAttribute("perm", [1, 0, 2])] }),
          createNode("MatMul", ["t", "W"], ["m"]),
          createNode("ConvTranspose", ["x", "Wt"], ["ct"], {
            attributes: [createIntsAttribute("strides", [2, 2]), createIntsAttribute("pads", [0, 0, 1, 1])],
          }),
        ],
      }),
    });
    const facts = inferShapes(model);
    expect(facts.get("p")?.shape).toEqual([2, 4, 2, 2]);
    expect(facts.get("r")?.shape).toEqual([2, 24, 6]);
    expect(facts.get("t")?.shape).toEqual([24, 2, 6]);
    expect(facts.get("m")?.shape).toEqual([24, 2, 5]);
    expect(facts.get("ct")?.shape).toEqual([2, 3, 11, 11]);
  });

  it("leaves outputs unknown rather than guessing", () => {
    const model = createModel({
      graph: createGraph({
        inputs: [createValueInfo("x", "float32", [1, 4]), createValueInfo("s", "int64", [2])],
        outputs: [createValueInfo("y", "float32")],
        nodes: [createNode("Reshape", ["x", "s"], ["y"]), createNode("NonZero", ["x"], ["nz"])],
      }),
    });
    const facts = inferShapes(model);
    expect(facts.has("y")).toBe(false);
    expect(facts.has("nz")).toBe(false);
  });
});
