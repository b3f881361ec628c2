import { describe, expect, it } from "vitest";
import { createConvNetModel, randomFloats } from "../../test/fixtures";
import { serializeModel } from "../onnx/codec";
import { createSubprocessMemoryProbe } from "./memory-probe";

describe("subprocess memory probe", () => {
  it("measures what a session adds to a fresh onnxruntime-node process", async () => {
    const probe = createSubprocessMemoryProbe({ runtimeModule: "onnxruntime-node" });
    const feeds = { x: { type: "float32", dims: [1, 3, 16, 16], data: randomFloats(768, 3) } };
    const bytes = await probe.measure(serializeModel(createConvNetModel()), feeds, { threads: 1, runs: 3 });
    expect(bytes).toBeGreaterThanOrEqual(0);
    // far below the tens of MB of the runtime's own set-up, which the warm-up session absorbs
    expect(bytes).toBeLessThan(20 * 1024 * 1024);
    expect(probe.method).toMatch(/fresh node process.*onnxruntime-node/);
  });

  it("fails with RUNTIME_FAILED when the child cannot run the model", async () => {
    const probe = createSubprocessMemoryProbe({ runtimeModule: "onnxruntime-node" });
    await expect(probe.measure(new Uint8Array([1, 2, 3]), {}, { threads: 1, runs: 1 })).rejects.toMatchObject(
      { code: "RUNTIME_FAILED", message: expect.stringMatching(/memory probe failed/) },
    );
  });
});
