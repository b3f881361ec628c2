import { describe, expect, it } from "vitest";
import { createConvNetModel, floatInput } from "../../test/fixtures";
import { createBatchNormModel } from "../../test/fold-fixtures";
import { runModel } from "../../test/ort-runtime";
import { expectOutputsClose } from "../../test/tolerance";
import { serializeModel } from "../onnx/codec";
import { validateModel } from "../onnx/validate";
import { foldBatchNormalization, foldBatchNormPass } from "./fold-batchnorm";
import { getPass } from "./registry";

describe("fold-batchnorm", () => {
  it("folds Conv → BatchNormalization (with and without Conv bias) and matches ORT within 1e-5", async () => {
    const model = createBatchNormModel();
    const logs: string[] = [];
    const folded = await getPass("fold-batchnorm").run(model, { log: (m) => logs.push(m) });
    expect(validateModel(folded)).toEqual([]);
    expect(folded.graph.node.map((n) => n.opType)).toEqual([
      "Conv",
      "Relu",
      "Conv",
      "Relu",
      "BatchNormalization", // after a Relu: not foldable into a Conv
      "GlobalAveragePool",
      "Flatten",
      "Gemm",
    ]);
    expect(folded.graph.node[0]?.input).toHaveLength(3); // gained a bias
    expect(logs[0]).toMatch(/folded 2 BatchNormalization/);
    // the old conv weights and BN parameters are gone, the unfoldable BN keeps its own
    const names = folded.graph.initializer.map((t) => t.name);
    expect(names).not.toContain("conv1.w");
    expect(names).not.toContain("bn1.scale");
    expect(names).toContain("bn3.scale");
    for (const batch of [1, 3]) {
      const feeds = { x: floatInput([batch, 3, 12, 12], 11 + batch) };
      const reference = await runModel(serializeModel(model), feeds);
      const candidate = await runModel(serializeModel(folded), feeds);
      expectOutputsClose(reference.y!, candidate.y!, { cosine: 0.999999, relativeMaxAbs: 1e-5 });
    }
  });

  it("leaves a Conv whose output has another reader", () => {
    const model = createBatchNormModel();
    model.graph.node.push({ ...model.graph.node[2]!, name: "extra", input: ["c1"], output: ["extra_out"] });
    model.graph.output.push({ ...model.graph.output[0]!, name: "extra_out" });
    const result = foldBatchNormalization(model);
    expect(result.folded).toEqual(["bn2"]);
    expect(result.skipped[0]).toMatch(
      /Conv 'conv1' → BatchNormalization 'bn1': the Conv output has other readers/,
    );
  });

  it("logs and returns an unchanged copy when there is no Conv → BatchNormalization", async () => {
    const logs: string[] = [];
    const model = createConvNetModel();
    const out = await foldBatchNormPass.run(model, { log: (m) => logs.push(m) });
    expect(serializeModel(out)).toEqual(serializeModel(model));
    expect(logs[0]).toMatch(/nothing to fold/);
  });
});
