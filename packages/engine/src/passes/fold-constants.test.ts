import { describe, expect, it } from "vitest";
import { createShapeSubgraphModel, floatInput } from "../../test/fixtures";
import { createFoldableModel, createUnfoldableModel } from "../../test/fold-fixtures";
import { runModel } from "../../test/ort-runtime";
import { expectOutputsClose } from "../../test/tolerance";
import { createIntAttribute } from "../onnx/attributes";
import { createNode } from "../onnx/builder";
import { serializeModel } from "../onnx/codec";
import { createConstantResolver } from "../onnx/constants";
import { DATA_TYPE } from "../onnx/data-type";
import { createTensor } from "../onnx/tensor";
import { validateModel } from "../onnx/validate";
import { foldConstants, foldConstantsPass } from "./fold-constants";
import { getPass } from "./registry";

const ops = (model: { graph: { node: { opType: string }[] } }) => model.graph.node.map((n) => n.opType);

describe("fold-constants", () => {
  it("folds every constant subgraph and keeps ORT outputs (1e-5) at several batch sizes", async () => {
    const model = createFoldableModel();
    const logs: string[] = [];
    const folded = await foldConstantsPass.run(model, { log: (m) => logs.push(m) });
    expect(validateModel(folded)).toEqual([]);
    // Shape → Gather(static dim) → Unsqueeze → Concat is constant; the rest of the constant math too
    expect(ops(folded)).toEqual(["MatMul", "Reshape", "Add", "Add", "Add", "Add"]);
    expect(logs[0]).toMatch(/folded 16 node\(s\).*17 node\(s\) fewer/);
    // the MatMul weight is now a plain initializer the quantization passes can read
    const fc = folded.graph.node[0];
    expect(createConstantResolver(folded)(fc?.input[1] ?? "")?.dims).toEqual([8, 6]);
    // the input is untouched
    expect(model.graph.node).toHaveLength(23);
    for (const batch of [1, 5]) {
      const feeds = { x: floatInput([batch, 8], 7 + batch) };
      const reference = await runModel(serializeModel(model), feeds);
      const candidate = await runModel(serializeModel(folded), feeds);
      expectOutputsClose(reference.y!, candidate.y!, { cosine: 0.999999, relativeMaxAbs: 1e-5 });
    }
  });

  it("does not fold a Shape read of a dynamic (batch) dim", async () => {
    const model = createShapeSubgraphModel();
    const { model: folded, folded: count } = foldConstants(model);
    expect(count).toBe(0);
    expect(ops(folded)).toEqual(ops(model));
    const feeds = { x: floatInput([3, 6], 2) };
    expect((await runModel(serializeModel(folded), feeds)).y?.dims).toEqual([3, 2, 3]);
  });

  it("logs and returns an unchanged copy when there is nothing to fold", async () => {
    const model = createUnfoldableModel();
    const logs: string[] = [];
    const out = await getPass("fold-constants").run(model, { log: (m) => logs.push(m) });
    expect(out).not.toBe(model);
    expect(serializeModel(out)).toEqual(serializeModel(model));
    expect(logs).toEqual([expect.stringMatching(/nothing to fold/)]);
    expect(getPass("fold-constants").variantName).toBe("fp32-folded");
  });

  it("does not undo weight compression (a large Cast int8 → float stays)", () => {
    const model = createUnfoldableModel();
    model.graph.initializer = [
      createTensor("Wq", DATA_TYPE.INT8, [256, 256], new Int8Array(256 * 256).fill(3)),
    ];
    model.graph.node.unshift(
      createNode("Cast", ["Wq"], ["W"], {
        name: "cast",
        attributes: [createIntAttribute("to", DATA_TYPE.FLOAT)],
      }),
    );
    expect(foldConstants(model).folded).toBe(0);
  });
});
