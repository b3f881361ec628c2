/**
 * fold-constants on the shared exporter models: ORT outputs identical (1e-5) on real data, fewer nodes
 * where there is constant work (sensor-gpt: Constant nodes and the static part of its shape
 * subgraphs), and nothing changed where there is none (the CNNs, whose BatchNorms the exporter folded).
 */
import { readFileSync } from "node:fs";
import { resolve } from "node:path";
import { describe, expect, it } from "vitest";
import { parseNpz } from "../src/data/npz";
import { createEvaluationSet } from "../src/eval/dataset";
import { collectOutputs, compareOutputs } from "../src/eval/evaluate";
import { parseModel, serializeModel } from "../src/onnx/codec";
import { validateModel } from "../src/onnx/validate";
import { foldConstants } from "../src/passes/fold-constants";
import { ortRuntime } from "./ort-runtime";

const SHARED_DIR = process.env.EDGEWATT_SHARED_DIR ?? resolve(import.meta.dirname, "../../../../shared");

const CASES = [
  { model: "sensor-gpt", data: "nab-tokens-eval-2k", nodesAfterAtMost: 140 },
  { model: "cifar10-resnet14", data: "cifar10-test-2k", nodesAfterAtMost: 37 },
  { model: "nab-conv-autoencoder", data: "nab-windows-eval-2k", nodesAfterAtMost: 11 },
] as const;

async function outputsOf(bytes: Uint8Array, dataName: string) {
  const model = parseModel(bytes);
  const arrays = parseNpz(new Uint8Array(readFileSync(`${SHARED_DIR}/datasets/npz/${dataName}.npz`)));
  const set = createEvaluationSet(model, arrays, { maxSamples: 64, batchSize: 16 });
  const session = await ortRuntime.createSession(bytes, { intraOpThreads: 1 });
  try {
    return { set, outputs: await collectOutputs(session, set) };
  } finally {
    await session.release();
  }
}

describe.each(CASES)("fold-constants on $model", ({ model: name, data, nodesAfterAtMost }) => {
  it("keeps ORT outputs within 1e-5 and does not add nodes", async () => {
    const bytes = new Uint8Array(readFileSync(`${SHARED_DIR}/models/${name}.onnx`));
    const model = parseModel(bytes);
    const result = foldConstants(model);
    expect(validateModel(result.model)).toEqual([]);
    expect(result.model.graph.node.length).toBeLessThanOrEqual(nodesAfterAtMost);
    if (name === "sensor-gpt") {
      expect(result.model.graph.node.length).toBeLessThan(model.graph.node.length / 2);
      expect(result.model.graph.node.some((n) => n.opType === "Constant")).toBe(false);
    }
    const reference = await outputsOf(bytes, data);
    const folded = await outputsOf(serializeModel(result.model), data);
    const fidelity = compareOutputs(reference.outputs, folded.outputs, reference.set);
    expect(fidelity.maxAbsError).toBeLessThanOrEqual(1e-5);
  });
});
