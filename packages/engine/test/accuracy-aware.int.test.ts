/**
 * accuracy-aware on cifar10-resnet14 with a small evaluation subset: dynamic int8 meets a 1-point
 * accuracy goal with nothing in float; a tight fidelity goal (below what all-int8 reaches) makes it keep
 * the few most damaging layers in float, within its evaluation budget.
 */
import { readFileSync } from "node:fs";
import { resolve } from "node:path";
import { describe, expect, it } from "vitest";
import { parseNpz } from "../src/data/npz";
import { createEvaluationSet } from "../src/eval/dataset";
import { parseModel } from "../src/onnx/codec";
import { validateModel } from "../src/onnx/validate";
import { runAccuracyAware } from "../src/passes/accuracy-aware";
import { ortRuntime } from "./ort-runtime";

const SHARED_DIR = process.env.EDGEWATT_SHARED_DIR ?? resolve(import.meta.dirname, "../../../../shared");

describe("accuracy-aware on cifar10-resnet14", () => {
  const model = parseModel(new Uint8Array(readFileSync(`${SHARED_DIR}/models/cifar10-resnet14.onnx`)));
  const arrays = parseNpz(new Uint8Array(readFileSync(`${SHARED_DIR}/datasets/npz/cifar10-test-2k.npz`)));
  const evaluation = createEvaluationSet(model, arrays, { maxSamples: 200, batchSize: 50 });
  const context = (logs: string[]) => ({
    log: (m: string) => logs.push(m),
    runtime: ortRuntime,
    data: { evaluation },
  });

  it("meets a 1-point accuracy goal with every layer in int8", { timeout: 120_000 }, async () => {
    const logs: string[] = [];
    const result = await runAccuracyAware(model, context(logs), { goal: { maxAccuracyDrop: 1 } });
    expect(result.base).toBe("quantize-dynamic-int8");
    expect(result.quantizedNodes).toHaveLength(16); // 15 Conv + Gemm
    expect(result.floatNodes).toEqual([]);
    expect(result.referenceAccuracy).toBeGreaterThan(0.8);
    expect(result.after.accuracyDrop).toBeLessThanOrEqual(1);
    expect(result.evaluations).toBe(1);
  });

  it(
    "keeps the most damaging layers in float for a fidelity goal tighter than all-int8",
    { timeout: 300_000 },
    async () => {
      const logs: string[] = [];
      const result = await runAccuracyAware(model, context(logs), {
        goal: { maxFidelityLoss: 5e-5 },
        maxEvaluations: 30,
      });
      console.log(logs.join("\n"));
      expect(result.before.fidelityLoss).toBeGreaterThan(5e-5);
      expect(result.after.fidelityLoss).toBeLessThanOrEqual(5e-5);
      expect(result.floatNodes.length).toBeGreaterThan(0);
      expect(result.floatNodes.length).toBeLessThanOrEqual(6);
      expect(result.evaluations).toBeLessThanOrEqual(30);
      expect(result.after.sizeBytes).toBeLessThan(
        model.graph.initializer.reduce((s, t) => s + (t.rawData?.byteLength ?? 0), 0) * 0.6,
      );
      expect(validateModel(result.model)).toEqual([]);
      const floatConvs = result.model.graph.node.filter((n) => n.opType === "Conv" || n.opType === "Gemm");
      expect(floatConvs.map((n) => n.name).sort()).toEqual([...result.floatNodes].sort());
    },
  );
});
