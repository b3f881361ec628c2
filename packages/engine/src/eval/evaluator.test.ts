import { describe, expect, it } from "vitest";
import { createMlpModel } from "../../test/fixtures";
import { ortRuntime } from "../../test/ort-runtime";
import { parseModel, serializeModel } from "../onnx/codec";
import { quantizeDynamicInt8Pass } from "../passes/quantize-dynamic-int8";
import { createEvaluationSet } from "./dataset";
import { evaluateVariant } from "./evaluator";
import { createSyntheticArrays } from "./synthetic-data";

describe("evaluateVariant", () => {
  it("labels every figure with unit and method and reports ratios to the original", async () => {
    const model = createMlpModel();
    const original = serializeModel(model);
    const variant = serializeModel(
      await quantizeDynamicInt8Pass.run(parseModel(original), { log: () => {} }),
    );
    const set = createEvaluationSet(model, createSyntheticArrays(model, { samples: 40 }), { batchSize: 8 });
    const result = await evaluateVariant({
      runtime: ortRuntime,
      set,
      dataLabel: "40 synthetic inputs",
      original,
      variant,
      threads: [1, 2],
      latencyRuns: 5,
      warmupRuns: 2,
      profile: "raspberry-pi-4",
    });
    const keys = [
      "sizeBytes",
      "params",
      "macs",
      "cosine",
      "minCosine",
      "maxAbsError",
      "outputMse",
      "top1Agreement",
      "klDivergence",
      "latencyP50Ms_t1",
      "latencyP95Ms_t1",
      "cpuMsPerInference_t1",
      "energyJPerInference_t1",
      "activeEnergyJPerInference_t1",
      "latencyP50Ms_t2",
      "energyJPerInference_t2",
      "peakRssDeltaBytes",
    ];
    expect(Object.keys(result.variant)).toEqual(expect.arrayContaining(keys));
    for (const figure of Object.values(result.variant)) {
      expect(Number.isFinite(figure.value)).toBe(true);
      expect(figure.unit.length).toBeGreaterThan(0);
      expect(figure.method.length).toBeGreaterThan(10);
    }
    expect(result.original.cosine).toBeUndefined();
    expect(result.variant.cosine!.value).toBeGreaterThan(0.99);
    expect(result.variant.energyJPerInference_t1?.method).toMatch(/modelled.*raspberry-pi-4/);
    expect(result.variant.peakRssDeltaBytes?.method).toMatch(/^process RSS delta/);
    expect(result.variant.latencyP50Ms_t2?.method).toMatch(/5 timed runs at batch 1, 2 intra-op thread/);
    expect(result.ratios.sizeBytes).toBeLessThan(1);
    expect(result.ratios.macs).toBe(1);
    expect(result.ratios.cosine).toBeUndefined();
  });
});
