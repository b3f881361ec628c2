/**
 * quantize-int4, quantize-dynamic-int8 (with the embedding options) and fp16 on the shared models in
 * /work/shared: next-token NLL and size for sensor-gpt, output cosine and size for all three. Figures
 * for the full eval sets and latency come from dev/bench-low-precision.ts.
 */
import { readFileSync } from "node:fs";
import { resolve } from "node:path";
import { describe, expect, it } from "vitest";
import { parseNpz } from "../src/data/npz";
import { createEvaluationSet, type EvaluationSet } from "../src/eval/dataset";
import { type CollectedOutputs, collectOutputs, compareOutputs } from "../src/eval/evaluate";
import { meanNegativeLogLikelihood } from "../src/eval/logit-metrics";
import { parseModel, serializeModel } from "../src/onnx/codec";
import type { OnnxModel } from "../src/onnx/model";
import { validateModel } from "../src/onnx/validate";
import { createFp16Pass } from "../src/passes/fp16";
import { createQuantizeDynamicInt8Pass } from "../src/passes/quantize-dynamic-int8";
import { quantizeInt4Pass } from "../src/passes/quantize-int4";
import type { Pass } from "../src/types";
import { ortRuntime } from "./ort-runtime";

const SHARED_DIR = process.env.EDGEWATT_SHARED_DIR ?? resolve(import.meta.dirname, "../../../../shared");
const load = (name: string) => new Uint8Array(readFileSync(`${SHARED_DIR}/models/${name}.onnx`));
const loadData = (name: string) =>
  parseNpz(new Uint8Array(readFileSync(`${SHARED_DIR}/datasets/npz/${name}.npz`)));

async function outputsOf(bytes: Uint8Array, set: EvaluationSet): Promise<CollectedOutputs> {
  const session = await ortRuntime.createSession(bytes, { intraOpThreads: 1 });
  try {
    return await collectOutputs(session, set);
  } finally {
    await session.release();
  }
}

function nll(outputs: CollectedOutputs, set: EvaluationSet): number {
  const logits = outputs.get("logits");
  if (!logits || !set.labels) throw new Error("sensor-gpt outputs or labels missing");
  return meanNegativeLogLikelihood(logits.data, 64, set.labels.data as ArrayLike<number | bigint>);
}

async function apply(pass: Pass, model: OnnxModel): Promise<Uint8Array> {
  const result = await pass.run(model, { log: () => undefined });
  expect(validateModel(result).filter((i) => i.severity === "error")).toEqual([]);
  return serializeModel(result);
}

describe("sensor-gpt, 300 eval sequences", () => {
  const bytes = load("sensor-gpt");
  const model = parseModel(bytes);
  const set = createEvaluationSet(model, loadData("nab-tokens-eval-2k"), { maxSamples: 300, batchSize: 50 });
  let baseline: number | undefined;
  const baselineNll = async () => {
    baseline ??= nll(await outputsOf(bytes, set), set);
    return baseline;
  };

  it("int4: next-token NLL within 5 % of fp32 at ≤ 0.25× the size", async () => {
    const int4 = await apply(quantizeInt4Pass, model);
    expect(int4.byteLength).toBeLessThanOrEqual(bytes.byteLength * 0.25);
    const fp32 = await baselineNll();
    expect(fp32).toBeGreaterThan(1.5);
    expect(nll(await outputsOf(int4, set), set)).toBeLessThanOrEqual(fp32 * 1.05);
  });

  it("int8-dynamic: NLL within 2 % and ≤ 0.35× the size (embeddings and constants compacted by default)", async () => {
    const fp32 = await baselineNll();
    const plain = await apply(
      createQuantizeDynamicInt8Pass({ quantizeEmbeddings: false, compactConstants: false }),
      model,
    );
    const compact = await apply(createQuantizeDynamicInt8Pass(), model);
    expect(plain.byteLength).toBeGreaterThan(bytes.byteLength * 0.35); // without them embeddings and mask stay fp32
    expect(compact.byteLength).toBeLessThanOrEqual(bytes.byteLength * 0.35);
    for (const variant of [plain, compact]) {
      expect(nll(await outputsOf(variant, set), set)).toBeLessThanOrEqual(fp32 * 1.02);
    }
  });
});

describe.each([
  { name: "sensor-gpt", data: "nab-tokens-eval-2k" },
  { name: "cifar10-resnet14", data: "cifar10-test-2k" },
  { name: "nab-conv-autoencoder", data: "nab-windows-eval-2k" },
])("fp16 on $name", ({ name, data }) => {
  const bytes = load(name);
  const model = parseModel(bytes);
  const set = createEvaluationSet(model, loadData(data), { maxSamples: 200, batchSize: 50 });

  it("loads in onnxruntime-node, keeps outputs (cosine ≥ 0.999) and about halves the file", async () => {
    const reference = await outputsOf(bytes, set);
    for (const pass of [createFp16Pass(), createFp16Pass({ blockOps: [] })]) {
      const half = await apply(pass, model);
      expect(half.byteLength).toBeLessThan(bytes.byteLength * 0.56);
      const fidelity = compareOutputs(reference, await outputsOf(half, set), set);
      expect(fidelity.cosine).toBeGreaterThanOrEqual(0.999);
      expect(fidelity.minCosine).toBeGreaterThanOrEqual(0.999);
    }
  });
});
