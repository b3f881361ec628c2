import { describe, expect, it } from "vitest";
import { createSensitiveMlpData, createSensitiveMlpModel } from "../../test/accuracy-fixtures";
import { ortRuntime, runModel } from "../../test/ort-runtime";
import { PassError } from "../errors";
import { serializeModel } from "../onnx/codec";
import { validateModel } from "../onnx/validate";
import { createAccuracyAwarePass, runAccuracyAware } from "./accuracy-aware";
import { getPass } from "./registry";

describe("accuracy-aware", () => {
  it("keeps exactly the outlier-heavy layer in float to meet a tight fidelity goal", async () => {
    const model = createSensitiveMlpModel();
    const evaluation = await createSensitiveMlpData(model, 256);
    const logs: string[] = [];
    const result = await runAccuracyAware(
      model,
      { log: (m) => logs.push(m), runtime: ortRuntime, data: { evaluation } },
      { goal: { maxFidelityLoss: 1e-3 } },
    );
    expect(result.base).toBe("quantize-dynamic-int8");
    expect(result.quantizedNodes).toEqual(["fc1", "fc2", "fc3"]);
    expect(result.before.fidelityLoss).toBeGreaterThan(1e-2); // all-int8 is wrecked by fc2
    expect(result.floatNodes).toEqual(["fc2"]);
    expect(result.after.fidelityLoss).toBeLessThanOrEqual(1e-3);
    expect(result.evaluations).toBeLessThanOrEqual(60);
    expect(validateModel(result.model)).toEqual([]);
    const ops = result.model.graph.node.map((n) => `${n.opType}:${n.name}`);
    expect(ops).toContain("MatMul:fc2");
    expect(ops.filter((o) => o.startsWith("MatMulInteger"))).toHaveLength(2);
    expect(logs.at(-1)).toMatch(/kept 1 of 3 node\(s\) in float: fc2; .*fidelity loss .*\(all quantized: /);
    // the result runs in ORT and is close to the float model
    const feeds = { x: { type: "float32", dims: [4, 16], data: new Float32Array(64).fill(0.3) } };
    const [a, b] = await Promise.all([
      runModel(serializeModel(model), feeds),
      runModel(serializeModel(result.model), feeds),
    ]);
    expect(b.y?.dims).toEqual(a.y?.dims);
  });

  it("meets an accuracy goal with labels (registered as accuracy-aware → int8-mixed)", async () => {
    const model = createSensitiveMlpModel();
    const evaluation = await createSensitiveMlpData(model, 300, { labels: true });
    const logs: string[] = [];
    const pass = createAccuracyAwarePass({ goal: { maxAccuracyDrop: 1 } });
    expect(getPass("accuracy-aware").variantName).toBe("int8-mixed");
    const out = await pass.run(model, {
      log: (m) => logs.push(m),
      runtime: ortRuntime,
      data: { evaluation },
    });
    expect(out.graph.node.find((n) => n.name === "fc2")?.opType).toBe("MatMul");
    expect(logs[0]).toMatch(
      /goal accuracy drop ≤ 1 point\(s\) on 300 sample\(s\) \(float accuracy 100\.00%\)/,
    );
    expect(logs.join("\n")).toMatch(/all quantized: accuracy .*drop/);
  });

  it("fails with a clear message when only the all-float model meets the goal", async () => {
    const model = createSensitiveMlpModel();
    const evaluation = await createSensitiveMlpData(model, 128);
    const run = runAccuracyAware(
      model,
      { log: () => undefined, runtime: ortRuntime, data: { evaluation } },
      { goal: { maxFidelityLoss: 0 } },
    );
    await expect(run).rejects.toThrowError(PassError);
    await expect(run).rejects.toThrowError(/could not meet the goal .*only the all-float model meets it/);
  });

  it("needs evaluation data, labels for an accuracy goal, and valid options", async () => {
    const model = createSensitiveMlpModel();
    const ctx = { log: () => undefined, runtime: ortRuntime };
    await expect(runAccuracyAware(model, ctx)).rejects.toMatchObject({ code: "PASS_NEEDS_DATA" });
    const evaluation = await createSensitiveMlpData(model, 64);
    await expect(
      runAccuracyAware(model, { ...ctx, data: { evaluation } }, { goal: { maxAccuracyDrop: 1 } }),
    ).rejects.toThrowError(/needs labels/);
    await expect(
      runAccuracyAware(model, { ...ctx, data: { evaluation } }, { goal: { maxFidelityLoss: -1 } }),
    ).rejects.toMatchObject({ code: "PASS_OPTIONS_INVALID" });
  });
});
