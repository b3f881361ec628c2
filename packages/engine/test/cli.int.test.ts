/** The CLI as a user runs it: a real process, real files, exit codes, no partial output on bad input. */
import { spawnSync } from "node:child_process";
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { createRequire } from "node:module";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { serializeModel } from "../src/onnx/codec";
import { createMlpModel } from "./fixtures";
import { createNpy, createZip } from "./npz-writer";

const require = createRequire(import.meta.url);
const tsx = require.resolve("tsx/cli");
const main = join(import.meta.dirname, "../src/cli/main.ts");
const work = mkdtempSync(join(tmpdir(), "edgewatt-cli-"));
afterAll(() => rmSync(work, { recursive: true, force: true }));

function cli(...args: string[]) {
  const r = spawnSync(process.execPath, [tsx, main, ...args], { encoding: "utf8" });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
}

const mlp = join(work, "mlp.onnx");
writeFileSync(mlp, serializeModel(createMlpModel()));

describe("edgewatt-engine CLI", () => {
  it("inspect prints a summary and --json a machine-readable one", () => {
    const text = cli("inspect", mlp);
    expect(text.code).toBe(0);
    expect(text.stdout).toMatch(/x: float32 \[batch, 16\]/);
    expect(text.stdout).toMatch(/MatMul\s+2/);
    const json = cli("inspect", mlp, "--json");
    expect(JSON.parse(json.stdout)).toMatchObject({ nodeCount: 5, macs: 768, issues: [] });
  });

  it("optimize writes the variant and a report, with fidelity when given data", () => {
    const out = join(work, "out");
    const x = createNpy(
      "<f4",
      [40, 16],
      Float32Array.from({ length: 640 }, (_, i) => Math.sin(i)),
    );
    const data = join(work, "calib.npz");
    writeFileSync(data, createZip([{ name: "x.npy", data: x, deflate: true, zip64Local: true }]));
    const r = cli(
      "optimize",
      "--model",
      mlp,
      "--recipe",
      "quantize-dynamic-int8",
      "--out",
      out,
      "--data",
      data,
      "--latency-runs",
      "5",
    );
    expect(r.stderr).not.toMatch(/error/);
    expect(r.code).toBe(0);
    expect(readdirSync(out).sort()).toEqual(["int8-dynamic.onnx", "report.json"]);
    const report = JSON.parse(readFileSync(join(out, "report.json"), "utf8"));
    expect(report.variants.map((v: { name: string }) => v.name)).toEqual(["fp32", "int8-dynamic"]);
    const variant = report.variants[1];
    expect(variant).toMatchObject({ file: "int8-dynamic.onnx", passes: ["quantize-dynamic-int8"] });
    expect(variant.sizeBytes).toBe(readFileSync(join(out, "int8-dynamic.onnx")).byteLength);
    expect(variant.sha256).toMatch(/^[0-9a-f]{64}$/);
    expect(variant.figures.cosine.value).toBeGreaterThan(0.99);
    expect(variant.figures.latencyP50Ms_t1).toMatchObject({ unit: "ms", method: expect.any(String) });
    expect(variant.ratios.sizeBytes).toBeLessThan(1);
    expect(report.variants[0]).toMatchObject({ name: "fp32", file: null, passes: [] });
  });

  it("takes an accuracy-aware goal and a calibration method, and refuses bad values", () => {
    const out = join(work, "out-goal");
    const x = createNpy(
      "<f4",
      [40, 16],
      Float32Array.from({ length: 640 }, (_, i) => Math.cos(i)),
    );
    const data = join(work, "calib-goal.npz");
    writeFileSync(data, createZip([{ name: "x.npy", data: x, deflate: true, zip64Local: true }]));
    const common = ["--model", mlp, "--out", out, "--data", data, "--latency-runs", "3", "--threads", "1"];
    const r = cli(
      "optimize",
      ...common,
      "--recipe",
      "accuracy-aware",
      "--max-fidelity-loss",
      "0.001",
      "--calibration",
      "minmax",
    );
    expect(r.stderr).not.toMatch(/error/);
    expect(r.code).toBe(0);
    const report = JSON.parse(readFileSync(join(out, "report.json"), "utf8"));
    const mixed = report.variants.find((v: { name: string }) => v.name === "int8-mixed");
    expect(1 - mixed.figures.cosine.value).toBeLessThanOrEqual(0.001);
    const bad = cli("optimize", ...common, "--recipe", "accuracy-aware", "--max-fidelity-loss", "lots");
    expect(bad.code).toBe(2);
    expect(bad.stderr).toMatch(/--max-fidelity-loss must be a number/);
    const badCal = cli("optimize", ...common, "--recipe", "quantize-static-int8", "--calibration", "vibes");
    expect(badCal.code).toBe(2);
    expect(badCal.stderr).toMatch(/--calibration must be one of minmax, percentile, entropy/);
  });

  it("bad input exits 2 with a clear message and leaves no output", () => {
    const junk = join(work, "junk.onnx");
    writeFileSync(junk, '{"not": "a model"}');
    const out = join(work, "never");
    const r = cli("optimize", "--model", junk, "--recipe", "quantize-dynamic-int8", "--out", out);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/ONNX_INVALID.*not an ONNX model: the file looks like JSON text/);
    expect(existsSync(out)).toBe(false);

    const missing = cli("inspect", join(work, "nope.onnx"));
    expect(missing.code).toBe(2);
    expect(missing.stderr).toMatch(/cannot read model file .*no such file/);

    const unknownPass = cli("optimize", "--model", mlp, "--recipe", "prune-everything", "--out", out);
    expect(unknownPass.code).toBe(2);
    expect(unknownPass.stderr).toMatch(/unknown pass 'prune-everything'/);
    expect(cli("frobnicate").code).toBe(2);

    const wrongData = join(work, "wrong.npz");
    writeFileSync(
      wrongData,
      createZip([{ name: "x.npy", data: createNpy("<f4", [4, 3], new Float32Array(12)) }]),
    );
    const mismatch = cli(
      "optimize",
      "--model",
      mlp,
      "--recipe",
      "quantize-dynamic-int8",
      "--out",
      out,
      "--data",
      wrongData,
    );
    expect(mismatch.code).toBe(2);
    expect(mismatch.stderr).toMatch(/DATA_MISMATCH/);
    expect(existsSync(out)).toBe(false);
  });

  it("a variant that fails is reported in report.json with exit code 1", () => {
    const relu = join(work, "relu.onnx");
    const model = createMlpModel();
    model.graph.initializer = model.graph.initializer.filter((t) => t.name?.startsWith("b"));
    model.graph.input.push(
      {
        ...model.graph.input[0]!,
        name: "W1",
        type: { tensorType: { elemType: 1, shape: { dim: [{ dimValue: 16 }, { dimValue: 32 }] } } },
      },
      {
        ...model.graph.input[0]!,
        name: "W2",
        type: { tensorType: { elemType: 1, shape: { dim: [{ dimValue: 32 }, { dimValue: 8 }] } } },
      },
    );
    writeFileSync(relu, serializeModel(model));
    const out = join(work, "failed");
    const r = cli("optimize", "--model", relu, "--recipe", "quantize-dynamic-int8", "--out", out);
    expect(r.code).toBe(1);
    const report = JSON.parse(readFileSync(join(out, "report.json"), "utf8"));
    expect(report.failures[0]).toMatchObject({ name: "int8-dynamic", code: "PASS_NOT_APPLICABLE" });
    expect(readdirSync(out)).toEqual(["report.json"]);
  });
});
