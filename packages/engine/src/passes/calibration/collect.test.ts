import { describe, expect, it } from "vitest";
import { ortRuntime } from "../../../test/ort-runtime";
import { createEvaluationSet } from "../../eval/dataset";
import { createGraph, createModel, createNode, createValueInfo } from "../../onnx/builder";
import { createFloatTensor } from "../../onnx/tensor";
import { collectStatistics, exposeTensors } from "./collect";

/** x[n, 4] → Relu → r → Mul(2) → y */
const model = createModel({
  graph: createGraph({
    inputs: [createValueInfo("x", "float32", ["n", 4])],
    outputs: [createValueInfo("y", "float32", ["n", 4])],
    initializers: [createFloatTensor("two", [], [2])],
    nodes: [createNode("Relu", ["x"], ["r"]), createNode("Mul", ["r", "two"], ["y"])],
  }),
});

describe("collectStatistics", () => {
  it("observes graph inputs and intermediate tensors over uneven batches", async () => {
    const values = Float32Array.from({ length: 40 }, (_, i) => i - 10); // -10 … 29
    const data = createEvaluationSet(
      model,
      new Map([["x", { name: "x", dtype: "float32", shape: [10, 4], data: values }]]),
      {
        batchSize: 3,
      },
    );
    const stats = await collectStatistics({
      model,
      tensors: ["x", "r", "y"],
      runtime: ortRuntime,
      data,
      histograms: true,
      histogramBins: 8,
    });
    expect(stats.get("x")?.range).toMatchObject({ min: -10, max: 29, count: 40 });
    expect(stats.get("r")?.range).toMatchObject({ min: 0, max: 29, count: 40 });
    expect(stats.get("y")?.range).toMatchObject({ min: 0, max: 58, count: 40 });
    const histogram = stats.get("r")?.histogram;
    expect(histogram?.total).toBe(40);
    expect(histogram?.counts[0]).toBe(11 + 3); // ten clipped negatives and 0 → 0, plus 1, 2, 3 (bin width 3.625)
  });

  it("adds intermediate tensors as outputs of a copy, leaving the model alone", () => {
    const exposed = exposeTensors(model, ["x", "r", "y"]);
    expect(exposed.graph.output.map((o) => o.name)).toEqual(["y", "r"]);
    expect(model.graph.output.map((o) => o.name)).toEqual(["y"]);
    expect(exposed.graph.initializer).toBe(model.graph.initializer); // weights shared, not copied
  });
});
