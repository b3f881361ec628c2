/**
 * The engine against the real exporter output in /work/shared/models: byte-exact round trips that ORT
 * runs identically, truncation errors, and int8-dynamic fidelity/size on the datasets they come with.
 */
import { readFileSync } from "node:fs";
import { resolve } from "node:path";
import { describe, expect, it } from "vitest";
import { parseNpz } from "../src/data/npz";
import { OnnxFormatError } from "../src/errors";
import { createEvaluationSet } from "../src/eval/dataset";
import { collectOutputs, compareOutputs, computeLabelAccuracy } from "../src/eval/evaluate";
import { parseModel, serializeModel } from "../src/onnx/codec";
import { inspectModel } from "../src/onnx/inspect";
import { validateModel } from "../src/onnx/validate";
import { quantizeDynamicInt8Pass } from "../src/passes/quantize-dynamic-int8";
import { ortRuntime } from "./ort-runtime";

/** ../shared beside the repository (reference models and datasets); EDGEWATT_SHARED_DIR overrides. */
const SHARED_DIR = process.env.EDGEWATT_SHARED_DIR ?? resolve(import.meta.dirname, "../../../../shared");

const MODELS = `${SHARED_DIR}/models`;
const DATA = `${SHARED_DIR}/datasets/npz`;

const CASES = [
  { model: "cifar10-resnet14", data: "cifar10-test-2k", convs: 15 },
  { model: "nab-conv-autoencoder", data: "nab-windows-eval-2k", convs: 3 },
  { model: "sensor-gpt", data: "nab-tokens-eval-2k", convs: 0 },
] as const;

const load = (name: string) => new Uint8Array(readFileSync(`${MODELS}/${name}.onnx`));

async function outputsOf(bytes: Uint8Array, dataName: string, maxSamples: number) {
  const model = parseModel(bytes);
  const set = createEvaluationSet(model, parseNpz(new Uint8Array(readFileSync(`${DATA}/${dataName}.npz`))), {
    maxSamples,
    batchSize: 50,
  });
  const session = await ortRuntime.createSession(bytes, { intraOpThreads: 1 });
  try {
    return { set, outputs: await collectOutputs(session, set) };
  } finally {
    await session.release();
  }
}

describe.each(CASES)("$model", ({ model: name, data, convs }) => {
  const bytes = load(name);

  it("round-trips byte for byte and runs identically in ORT", async () => {
    const model = parseModel(bytes);
    expect(validateModel(model)).toEqual([]);
    const again = serializeModel(model);
    expect(Buffer.compare(Buffer.from(again), Buffer.from(bytes))).toBe(0);
    // also through an edit-free structural copy, so equality does not rely on byte identity alone
    const copy = serializeModel(parseModel(serializeModel(structuredClone(model))));
    const original = await outputsOf(bytes, data, 20);
    const roundTripped = await outputsOf(copy, data, 20);
    const fidelity = compareOutputs(original.outputs, roundTripped.outputs, original.set);
    expect(fidelity.maxAbsError).toBe(0);
  });

  it("reports truncated copies as invalid ONNX", () => {
    for (const fraction of [0.01, 0.5, 0.99]) {
      expect(() => parseModel(bytes.subarray(0, Math.floor(bytes.length * fraction)))).toThrowError(
        OnnxFormatError,
      );
    }
  });

  it("inspects with all MACs resolved", () => {
    const summary = inspectModel(parseModel(bytes), { sizeBytes: bytes.byteLength });
    expect(summary.macsUnknownNodes).toBe(0);
    expect(summary.macs).toBeGreaterThan(0);
    expect(summary.opHistogram.Conv ?? 0).toBe(convs);
  });

  it("int8-dynamic is smaller and keeps outputs (cosine > 0.99)", async () => {
    const quantized = serializeModel(
      await quantizeDynamicInt8Pass.run(parseModel(bytes), { log: () => undefined }),
    );
    expect(quantized.byteLength).toBeLessThan(bytes.byteLength * 0.7);
    const reference = await outputsOf(bytes, data, 200);
    const candidate = await outputsOf(quantized, data, 200);
    const fidelity = compareOutputs(reference.outputs, candidate.outputs, reference.set);
    expect(fidelity.cosine).toBeGreaterThan(0.99);
    if (name === "cifar10-resnet14") {
      expect(fidelity.samples).toBe(200);
      expect(fidelity.top1Agreement).toBeGreaterThanOrEqual(0.95);
      const accuracy = computeLabelAccuracy(candidate.outputs, candidate.set) ?? 0;
      expect(accuracy).toBeGreaterThan((computeLabelAccuracy(reference.outputs, reference.set) ?? 1) - 0.03);
    }
  });
});
