import { describe, expect, it } from "vitest";
import { createConvNetModel, createMlpModel, randomFloats } from "../test/fixtures";
import { ortRuntime } from "../test/ort-runtime";
import type { NpyArray } from "./data/npy";
import { EvaluationError, OnnxFormatError } from "./errors";
import { createGraph, createModel, createNode, createValueInfo } from "./onnx/builder";
import { parseModel, serializeModel } from "./onnx/codec";
import { registerPass } from "./passes/registry";
import type { Pass, PassContext, ProgressEvent } from "./types";

type PassRun = Pass["run"];

import { optimizeModel, sha256Hex } from "./variant";

function array(name: string, dtype: NpyArray["dtype"], shape: number[], data: NpyArray["data"]): NpyArray {
  return { name, dtype, shape, data };
}

describe("optimizeModel", () => {
  it("builds int8-dynamic, reports baseline and variant, and emits progress", async () => {
    const bytes = serializeModel(createMlpModel());
    const events: ProgressEvent[] = [];
    const result = await optimizeModel({
      bytes,
      recipe: ["quantize-dynamic-int8"],
      onProgress: (e) => events.push(e),
    });
    expect(result.failures).toEqual([]);
    expect(result.baseline).toMatchObject({
      name: "fp32",
      passes: [],
      sizeBytes: bytes.byteLength,
      sha256: sha256Hex(bytes),
    });
    const [variant] = result.variants;
    expect(variant).toMatchObject({
      name: "int8-dynamic",
      passes: ["quantize-dynamic-int8"],
      params: expect.any(Number),
    });
    expect(variant?.sizeBytes).toBe(variant?.bytes.byteLength);
    expect(variant?.sha256).toBe(sha256Hex(variant!.bytes));
    expect(variant?.macs).toBe(result.baseline.macs);
    expect(parseModel(variant!.bytes).graph.node.some((n) => n.opType === "MatMulInteger")).toBe(true);
    expect(events.map((e) => `${e.variant}/${e.pass}:${e.status}`)).toEqual([
      "int8-dynamic/quantize-dynamic-int8:started",
      "int8-dynamic/quantize-dynamic-int8:done",
    ]);
    expect(events[1]?.message).toMatch(/quantized 2 MatMul/);
    expect(variant?.notes).toEqual([expect.stringMatching(/^quantize-dynamic-int8: quantized 2 MatMul/)]);
  });

  it("stops between passes when its signal aborts, and uses per-run pass overrides", async () => {
    const bytes = serializeModel(createMlpModel());
    const stop = new AbortController();
    const seen: string[] = [];
    await expect(
      optimizeModel({
        bytes,
        recipe: ["quantize-dynamic-int8", "fp16"],
        signal: stop.signal,
        onProgress: (e) => {
          seen.push(`${e.variant}/${e.pass}:${e.status}`);
          if (e.status === "done") stop.abort(new Error("cancelled by the user"));
        },
      }),
    ).rejects.toThrow("cancelled by the user");
    // The first variant's pass finished; nothing of the second one started.
    expect(seen).toEqual([
      "int8-dynamic/quantize-dynamic-int8:started",
      "int8-dynamic/quantize-dynamic-int8:done",
    ]);

    const calls: string[] = [];
    const result = await optimizeModel({
      bytes,
      recipe: ["quantize-dynamic-int8"],
      passOverrides: new Map([
        [
          "quantize-dynamic-int8",
          {
            name: "quantize-dynamic-int8",
            variantName: "custom-int8",
            description: "a stand-in for this run only",
            run: async (model: Parameters<PassRun>[0]) => {
              calls.push("override");
              return model;
            },
          } as never,
        ],
      ]),
    });
    expect(calls).toEqual(["override"]);
    expect(result.variants.map((v) => v.name)).toEqual(["custom-int8"]);
  });

  it("fails a variant, not the call, for an unknown or inapplicable pass", async () => {
    const noWeights = createModel({
      graph: createGraph({
        inputs: [createValueInfo("x", "float32", [1, 4])],
        outputs: [createValueInfo("y", "float32", [1, 4])],
        nodes: [createNode("Relu", ["x"], ["y"])],
      }),
    });
    const result = await optimizeModel({
      bytes: serializeModel(noWeights),
      recipe: ["quantize-dynamic-int8", "no-such-pass"],
    });
    expect(result.variants).toEqual([]);
    expect(result.failures).toEqual([
      expect.objectContaining({
        name: "int8-dynamic",
        pass: "quantize-dynamic-int8",
        code: "PASS_NOT_APPLICABLE",
      }),
      expect.objectContaining({ name: "no-such-pass", pass: "no-such-pass", code: "PASS_UNKNOWN" }),
    ]);
  });

  it("rejects bad input for the whole call", async () => {
    await expect(optimizeModel({ bytes: new Uint8Array([1, 2, 3]), recipe: [] })).rejects.toThrowError(
      OnnxFormatError,
    );
  });

  it("measures fidelity, label accuracy and latency with a runtime and data", async () => {
    const bytes = serializeModel(createConvNetModel());
    const n = 20;
    const arrays = new Map<string, NpyArray>([
      ["x", array("x", "float32", [n, 3, 16, 16], randomFloats(n * 768, 41))],
      [
        "labels",
        array(
          "labels",
          "int64",
          [n],
          BigInt64Array.from({ length: n }, (_, i) => BigInt(i % 5)),
        ),
      ],
    ]);
    const result = await optimizeModel({
      bytes,
      recipe: ["quantize-dynamic-int8"],
      runtime: ortRuntime,
      evaluation: { arrays, maxSamples: 15, batchSize: 4, latencyRuns: 5 },
    });
    expect(result.failures).toEqual([]);
    expect(result.samples).toBe(15);
    expect(result.runtime).toMatch(/onnxruntime/);
    const variant = result.variants[0]!;
    expect(variant.fidelity?.samples).toBe(15);
    expect(variant.fidelity?.cosine).toBeGreaterThan(0.99);
    expect(variant.fidelity?.top1Agreement).toBeGreaterThan(0.8);
    expect(variant.accuracy).toBeGreaterThanOrEqual(0);
    expect(result.baseline.accuracy).toBeGreaterThanOrEqual(0);
    expect(result.baseline.fidelity).toBeUndefined();
    expect(variant.figures.latencyP50Ms_t1).toMatchObject({
      unit: "ms",
      method: expect.stringMatching(/5 timed runs at batch 1, 1 intra-op/),
    });
    expect(variant.figures.latencyP50Ms_t1?.value).toBeGreaterThan(0);
    expect(variant.ratios.sizeBytes).toBeLessThan(1);
  });

  it("rejects evaluation data that does not fit the model, saying what differs", async () => {
    const bytes = serializeModel(createMlpModel());
    const wrongName = new Map([["input", array("input", "float32", [4, 16], new Float32Array(64))]]);
    const wrongShape = new Map([["x", array("x", "float32", [4, 15], new Float32Array(60))]]);
    const wrongType = new Map([["x", array("x", "float64", [4, 16], new Float64Array(64))]]);
    const run = (arrays: Map<string, NpyArray>) =>
      optimizeModel({
        bytes,
        recipe: ["quantize-dynamic-int8"],
        runtime: ortRuntime,
        evaluation: { arrays },
      });
    // a single array for a single-input model is used whatever its name
    await expect(run(wrongName)).resolves.toMatchObject({ failures: [] });
    await expect(run(wrongShape)).rejects.toThrowError(EvaluationError);
    await expect(run(wrongShape)).rejects.toThrowError(/shape \[4, 15\].*needs \[batch, 16\]/);
    await expect(run(wrongType)).rejects.toThrowError(/float64 but model input 'x' expects float32/);
  });

  it("hands passes the calibration and evaluation sets, and reports what the data was", async () => {
    const model = createMlpModel();
    const seen: PassContext[] = [];
    registerPass(
      {
        name: "test-capture-context",
        description: "records its context (test only)",
        variantName: "captured",
        run: (m, context) => {
          seen.push(context);
          return structuredClone(m);
        },
      },
      { replace: true },
    );
    const arrays = (n: number) => new Map([["x", array("x", "float32", [n, 16], randomFloats(n * 16, n))]]);
    const events: ProgressEvent[] = [];
    const result = await optimizeModel({
      bytes: serializeModel(model),
      recipe: ["test-capture-context"],
      runtime: ortRuntime,
      calibration: { arrays: arrays(24), label: "calib.npz" },
      evaluation: { arrays: arrays(10), synthetic: true, latencyRuns: 3, warmupRuns: 1 },
      onProgress: (e) => events.push(e),
    });
    expect(seen[0]?.data?.calibration?.samples).toBe(24);
    expect(seen[0]?.data?.evaluation?.samples).toBe(10);
    expect(result.data).toEqual({
      calibration: { label: "calib.npz", samples: 24, synthetic: false },
      evaluation: { samples: 10, synthetic: true },
    });
    const variant = result.variants[0]!;
    expect(variant.name).toBe("captured");
    expect(variant.figures.cosine?.value).toBeCloseTo(1, 12);
    expect(variant.figures.cosine?.method).toMatch(/10 synthetic inputs/);
    expect(result.settings).toMatchObject({ threads: [1], latencyRuns: 3, profile: { id: "generic-x86" } });
    expect(events.every((e) => e.plannedVariants === 1)).toBe(true);
    expect(events.map((e) => `${e.variant}/${e.pass}:${e.status}`)).toEqual([
      "fp32/evaluate:started",
      "fp32/evaluate:done",
      "captured/test-capture-context:started",
      "captured/test-capture-context:done",
      "captured/evaluate:started",
      "captured/evaluate:done",
      "all/measure-latency:started",
      "all/measure-latency:done",
    ]);
  });

  it("plans the auto ladder: int4 only for MatMul-heavy models, every rung named after its variant", async () => {
    const result = await optimizeModel({ bytes: serializeModel(createConvNetModel()), recipe: ["auto"] });
    expect(result.skipped.map((s) => s.name)).toEqual(["int4"]);
    const names = [...result.variants.map((v) => v.name), ...result.failures.map((f) => f.name)];
    expect(names.sort()).toEqual(["fp16", "int8-dynamic", "int8-static"]);
    const mlp = await optimizeModel({ bytes: serializeModel(createMlpModel()), recipe: ["auto"] });
    expect(mlp.matMulShare).toBe(1);
    expect(mlp.skipped).toEqual([]);
    expect([...mlp.variants, ...mlp.failures].map((v) => v.name)).toContain("int4");
  });
});
