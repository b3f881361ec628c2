/** `edgewatt-engine inspect` on models the engine cannot handle: exit 2 and an error naming node and op. */
import { spawnSync } from "node:child_process";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { createRequire } from "node:module";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { createGraph, createModel, createNode, createValueInfo } from "../src/onnx/builder";
import { serializeModel } from "../src/onnx/codec";
import { createMlpModel } from "./fixtures";

const require = createRequire(import.meta.url);
const tsx = require.resolve("tsx/cli");
const main = join(import.meta.dirname, "../src/cli/main.ts");
const work = mkdtempSync(join(tmpdir(), "edgewatt-inspect-"));
afterAll(() => rmSync(work, { recursive: true, force: true }));

function inspect(file: string, model: Parameters<typeof serializeModel>[0] | Uint8Array) {
  const path = join(work, file);
  writeFileSync(path, model instanceof Uint8Array ? model : serializeModel(model));
  const r = spawnSync(process.execPath, [tsx, main, "inspect", path], { encoding: "utf8" });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
}

describe("edgewatt-engine inspect on unsupported models", () => {
  it("names the node and op that is not defined at the model's opset", () => {
    const model = createModel({
      opset: 13,
      graph: createGraph({
        inputs: [createValueInfo("x", "float32", ["batch", 4])],
        outputs: [createValueInfo("y", "float32", ["batch", 4])],
        nodes: [
          createNode("Relu", ["x"], ["r"], { name: "relu" }),
          createNode("Gelu", ["r"], ["y"], { name: "act" }),
        ],
      }),
    });
    const r = inspect("gelu.onnx", model);
    expect(r.code).toBe(2);
    expect(r.stdout).toMatch(/Gelu\s+1/); // the summary is still shown
    expect(r.stderr).toMatch(/error \[MODEL_INVALID\]: the engine cannot handle/);
    expect(r.stderr).toMatch(
      /node 'act' \(Gelu\): Gelu was added in opset 20 but the model imports opset 13/,
    );
  });

  it("rejects an unsupported opset and external-data weights with what to do", () => {
    const r = inspect("opset6.onnx", createMlpModel(6));
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/ai\.onnx opset 6; the engine handles opsets 7–21/);
    const external = createMlpModel();
    const weight = external.graph.initializer[0]!;
    weight.rawData = undefined;
    weight.dataLocation = 1;
    weight.externalData = [{ key: "location", value: "model.onnx.data" }];
    const e = inspect("external.onnx", external);
    expect(e.code).toBe(2);
    expect(e.stderr).toMatch(/error \[ONNX_EXTERNAL_DATA\].*'W1'.*save_as_external_data=False/);
  });
});
