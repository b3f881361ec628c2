/**
 * `optimize --recipe auto` as a user runs it, on the shared NAB autoencoder with its npz data: the report
 * schema, files named after their variants, and bad input rejected with exit code 2 and nothing left behind.
 */
import { spawnSync } from "node:child_process";
import { createHash } from "node:crypto";
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { createRequire } from "node:module";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { LADDER } from "../src/optimize/ladder";
import { findPass } from "../src/passes/registry";
import { createNpy, createZip } from "./npz-writer";

const SHARED_DIR = process.env.EDGEWATT_SHARED_DIR ?? resolve(import.meta.dirname, "../../../../shared");
const MODEL = `${SHARED_DIR}/models/nab-conv-autoencoder.onnx`;
const CALIB = `${SHARED_DIR}/datasets/npz/nab-windows-calib-256.npz`;
const EVAL = `${SHARED_DIR}/datasets/npz/nab-windows-eval-2k.npz`;

const require = createRequire(import.meta.url);
const tsx = require.resolve("tsx/cli");
const main = join(import.meta.dirname, "../src/cli/main.ts");
const work = mkdtempSync(join(tmpdir(), "edgewatt-auto-"));
afterAll(() => rmSync(work, { recursive: true, force: true }));

function cli(...args: string[]) {
  const r = spawnSync(process.execPath, [tsx, main, ...args], { encoding: "utf8" });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
}

const FAST = ["--latency-runs", "10", "--warmup-runs", "2", "--threads", "1,2"];

interface Figure {
  value: number;
  unit: string;
  method: string;
}
interface Entry {
  name: string;
  passes: string[];
  file: string | null;
  sha256: string;
  sizeBytes: number;
  figures: Record<string, Figure>;
  ratios: Record<string, number>;
}

describe("optimize --recipe auto on the NAB autoencoder", () => {
  it("writes one file per kept variant and a report with every figure, its method and ratios", () => {
    const out = join(work, "ladder");
    const r = cli(
      "optimize",
      "--model",
      MODEL,
      "--data",
      CALIB,
      "--eval",
      EVAL,
      "--samples",
      "300",
      "--recipe",
      "auto",
      "--out",
      out,
      ...FAST,
    );
    const report = JSON.parse(readFileSync(join(out, "report.json"), "utf8"));
    expect(r.code).toBe(report.failures.length > 0 ? 1 : 0);
    expect(report).toMatchObject({
      schemaVersion: 2,
      tool: "edgewatt-engine optimize",
      model: { file: "nab-conv-autoencoder.onnx", sizeBytes: 58377, matMulMacShare: 0 },
      recipe: ["auto"],
      data: {
        calibration: { file: "nab-windows-calib-256.npz", samples: 256, synthetic: false },
        evaluation: { file: "nab-windows-eval-2k.npz", samples: 300, synthetic: false },
      },
      environment: {
        runtime: expect.stringMatching(/onnxruntime/),
        cpuModel: expect.any(String),
        availableParallelism: expect.any(Number),
        threads: [1, 2],
        latencyRuns: 10,
        warmupRuns: 2,
        powerProfile: { id: "generic-x86", approximate: true },
      },
      baseline: "fp32",
      skipped: [expect.objectContaining({ name: "int4", reason: expect.stringMatching(/MACs/) })],
    });

    const [baseline, ...kept] = report.variants as Entry[];
    expect(baseline).toMatchObject({ name: "fp32", passes: [], file: null, ratios: {} });
    expect(baseline?.figures.reconstructionMse?.value).toBeGreaterThan(0);

    // files: exactly the kept variants (named after them) and report.json
    expect(readdirSync(out).sort()).toEqual(["report.json", ...kept.map((v) => `${v.name}.onnx`)].sort());
    for (const v of kept) {
      expect(v.file).toBe(`${v.name}.onnx`);
      const bytes = readFileSync(join(out, v.file!));
      expect(bytes.byteLength).toBe(v.sizeBytes);
      expect(createHash("sha256").update(bytes).digest("hex")).toBe(v.sha256);
    }

    // every ladder rung is accounted for: kept, dropped (with a reason), failed or skipped
    const dropped = report.dropped as (Entry & { reason: string })[];
    const failed = report.failures as { name: string; code: string }[];
    for (const rung of LADDER) {
      const where = [
        kept.some((v) => v.name === rung.variant),
        dropped.some((v) => v.name === rung.variant),
        failed.some((f) => f.name === rung.variant),
        report.skipped.some((s: { name: string }) => s.name === rung.variant),
      ];
      expect(where.filter(Boolean), rung.variant).toHaveLength(1);
      if (!findPass(rung.pass) && rung.variant !== "int4") {
        expect(failed).toContainEqual(expect.objectContaining({ name: rung.variant, code: "PASS_UNKNOWN" }));
      }
    }
    for (const d of dropped) expect(d.reason).toMatch(/slower than the baseline.*without being smaller/);

    const measured = [...kept, ...dropped];
    const int8 = measured.find((v) => v.name === "int8-dynamic")!;
    for (const key of [
      "sizeBytes",
      "macs",
      "reconstructionMse",
      "spearmanRho",
      "cosine",
      "maxAbsError",
      "outputMse",
      "latencyP50Ms_t1",
      "latencyP95Ms_t1",
      "latencyP50Ms_t2",
      "latencyP95Ms_t2",
      "cpuMsPerInference_t1",
      "energyJPerInference_t1",
      "peakRssDeltaBytes",
    ]) {
      expect(int8.figures[key], key).toMatchObject({
        value: expect.any(Number),
        unit: expect.any(String),
        method: expect.any(String),
      });
    }
    expect(int8.figures.reconstructionMse?.method).toMatch(/300 samples of nab-windows-eval-2k\.npz/);
    expect(int8.figures.spearmanRho?.value).toBeGreaterThan(0.8);
    expect(int8.figures.peakRssDeltaBytes?.method).toMatch(/fresh node process/);
    expect(int8.ratios.sizeBytes).toBeLessThan(0.8);
    expect(int8.ratios.reconstructionMse).toBeCloseTo(
      int8.figures.reconstructionMse!.value / baseline!.figures.reconstructionMse!.value,
      10,
    );
    for (const key of ["latencyP50Ms_t1", "energyJPerInference_t2", "peakRssDeltaBytes"]) {
      if (baseline!.figures[key]!.value > 0) expect(int8.ratios[key], key).toEqual(expect.any(Number));
    }
    expect(int8.ratios.cosine).toBeUndefined();
  });

  describe("bad input: exit 2, a message naming the problem, no output left behind", () => {
    const npz = (
      name: string,
      entries: { name: string; descr: string; shape: number[]; data: ArrayBufferView }[],
    ) => {
      const path = join(work, name);
      writeFileSync(
        path,
        createZip(entries.map((e) => ({ name: `${e.name}.npy`, data: createNpy(e.descr, e.shape, e.data) }))),
      );
      return path;
    };
    const wrongNames = npz("names.npz", [
      { name: "a", descr: "<f4", shape: [4, 1, 64], data: new Float32Array(256) },
      { name: "b", descr: "<f4", shape: [4, 1, 64], data: new Float32Array(256) },
    ]);
    const wrongDtype = npz("dtype.npz", [
      { name: "window", descr: "<f8", shape: [4, 1, 64], data: new Float64Array(256) },
    ]);
    const wrongShape = npz("shape.npz", [
      { name: "window", descr: "<f4", shape: [4, 1, 32], data: new Float32Array(128) },
    ]);
    const labelsOnly = npz("labels.npz", [
      { name: "labels", descr: "<i8", shape: [4], data: new BigInt64Array(4) },
    ]);
    const empty = join(work, "empty.npz");
    writeFileSync(empty, "");
    const corrupt = join(work, "corrupt.onnx");
    writeFileSync(corrupt, readFileSync(MODEL).subarray(0, 20_000));

    const cases: [string, string, string[], RegExp][] = [
      ["calibration names", MODEL, ["--data", wrongNames], /DATA_MISMATCH.*no array named 'window'.*a, b/],
      [
        "calibration dtype",
        MODEL,
        ["--data", wrongDtype],
        /DATA_MISMATCH.*float64 but model input 'window' expects float32/,
      ],
      [
        "evaluation shape",
        MODEL,
        ["--data", CALIB, "--eval", wrongShape],
        /DATA_MISMATCH.*shape \[4, 1, 32\].*needs \[batch, 1, 64\]/,
      ],
      ["empty data file", MODEL, ["--data", empty], /calibration data file .* is empty/],
      ["no input arrays", MODEL, ["--data", CALIB, "--eval", labelsOnly], /holds no input arrays/],
      ["corrupt model", corrupt, ["--data", CALIB], /ONNX_INVALID/],
    ];
    it.each(cases)("%s", (_label, model, extra, message) => {
      const out = join(work, "never", "out");
      const r = cli("optimize", "--model", model, "--recipe", "auto", "--out", out, ...FAST, ...extra);
      expect(r.stderr).toMatch(message);
      expect(r.code).toBe(2);
      expect(existsSync(out)).toBe(false);
      expect(existsSync(join(work, "never")) ? readdirSync(join(work, "never")) : []).toEqual([]);
    });
  });
});
