/**
 * pnpm bench:quant — the `auto` ladder on each reference model in ../shared/models with its npz data,
 * every variant measured side by side with its fp32 baseline in one run. Progress goes to stderr; the LAST
 * line on stdout is one JSON object: per model and variant every figure and its ratio to fp32, the methods,
 * and `targets` (the issue's targets, each with the measured value and `met`).
 *
 *   pnpm bench:quant [--eval-samples 2000] [--latency-runs 200] [--warmup-runs 20] [--models a,b]
 *                    [--threads 1,<cores>] [--profile generic-x86]
 * EDGEWATT_SHARED_DIR overrides where the shared models and datasets are (default <repo>/../shared).
 */
import { readFileSync } from "node:fs";
import { availableParallelism, cpus } from "node:os";
import ort from "onnxruntime-node";
import { getIntOption, getOption, parseArgs } from "../src/cli/args";
import { formatOptimizeResult } from "../src/cli/format-report";
import { parseNpz } from "../src/data/npz";
import type { Figures } from "../src/eval/figures";
import { createSubprocessMemoryProbe } from "../src/eval/memory-probe";
import { createOrtRuntime, type OrtModuleLike } from "../src/runtime";
import { type OptimizeResult, optimizeModel, type VariantResult } from "../src/variant";
import { readBenchEnv } from "./env";
import { type BenchModel, type BenchVariant, evaluateTargets } from "./targets";

const MODELS = [
  { model: "cifar10-resnet14", calibration: "cifar10-calib-256", evaluation: "cifar10-test-2k" },
  { model: "nab-conv-autoencoder", calibration: "nab-windows-calib-256", evaluation: "nab-windows-eval-2k" },
  { model: "sensor-gpt", calibration: "nab-tokens-calib-256", evaluation: "nab-tokens-eval-2k" },
] as const;

const SHARED_DIR = readBenchEnv().sharedDir;

const args = parseArgs(process.argv.slice(2), {
  flags: [],
  options: ["eval-samples", "latency-runs", "warmup-runs", "models", "threads", "profile"],
});
const evalSamples = getIntOption(args, "eval-samples", 2000, 1);
const latencyRuns = getIntOption(args, "latency-runs", 200, 1);
const warmupRuns = getIntOption(args, "warmup-runs", 20, 0);
const profile = getOption(args, "profile") ?? "generic-x86";
const threads = getOption(args, "threads")
  ?.split(",")
  .map(Number)
  .filter((t) => Number.isInteger(t) && t > 0) ?? [...new Set([1, availableParallelism()])];
const only = getOption(args, "models")?.split(",");
const selected = MODELS.filter((m) => !only || only.includes(m.model));

const runtime = createOrtRuntime(ort as unknown as OrtModuleLike);
const memoryProbe = createSubprocessMemoryProbe({ runtimeModule: "onnxruntime-node" });
const log = (line: string) => process.stderr.write(`${line}\n`);
const load = (path: string) => new Uint8Array(readFileSync(path));

function values(figures: Figures): Record<string, number> {
  return Object.fromEntries(Object.entries(figures).map(([k, f]) => [k, f.value]));
}

function toBench(v: Omit<VariantResult, "bytes">, status: BenchVariant["status"]) {
  return { status, passes: v.passes, figures: values(v.figures), ratios: v.ratios };
}

function summarize(result: OptimizeResult) {
  const all = [result.baseline, ...result.variants, ...result.dropped];
  const methods: Record<string, string> = {};
  const units: Record<string, string> = {};
  for (const v of all) {
    for (const [k, f] of Object.entries(v.figures)) {
      methods[k] ??= f.method;
      units[k] ??= f.unit;
    }
  }
  const variants: Record<string, BenchVariant & { passes: string[] }> = {};
  for (const v of [result.baseline, ...result.variants]) variants[v.name] = toBench(v, "kept");
  for (const d of result.dropped) variants[d.name] = toBench(d, "dropped");
  return {
    baseline: result.baseline.name,
    data: result.data,
    matMulMacShare: result.matMulShare,
    variants,
    dropped: result.dropped.map((d) => ({ name: d.name, reason: d.reason })),
    skipped: result.skipped,
    failures: result.failures,
    units,
    methods,
  };
}

const started = Date.now();
const models: Record<string, ReturnType<typeof summarize>> = {};
const failures: Record<string, Record<string, string>> = {};
for (const entry of selected) {
  const t0 = Date.now();
  log(
    `== ${entry.model}: auto ladder, eval ≤ ${evalSamples} samples, ${latencyRuns} timed runs × threads [${threads}]`,
  );
  const result = await optimizeModel({
    bytes: load(`${SHARED_DIR}/models/${entry.model}.onnx`),
    recipe: ["auto"],
    runtime,
    calibration: {
      arrays: parseNpz(load(`${SHARED_DIR}/datasets/npz/${entry.calibration}.npz`)),
      label: `${entry.calibration}.npz`,
    },
    evaluation: {
      arrays: parseNpz(load(`${SHARED_DIR}/datasets/npz/${entry.evaluation}.npz`)),
      label: `${entry.evaluation}.npz`,
      maxSamples: evalSamples,
      threads,
      latencyRuns,
      warmupRuns,
      profile,
      memoryProbe,
    },
    onProgress: (e) =>
      log(
        `[${entry.model}] ${e.variant} ${e.pass} ${e.status}${e.message ? `: ${e.message.slice(0, 200)}` : ""}`,
      ),
  });
  log(formatOptimizeResult(result, "(not written)").split("\n").slice(1).join("\n"));
  log(`== ${entry.model} done in ${((Date.now() - t0) / 1000).toFixed(1)} s`);
  models[entry.model] = summarize(result);
  failures[entry.model] = Object.fromEntries(
    result.failures.map((f) => [f.name, `failed at ${f.pass} [${f.code}]: ${f.error}`]),
  );
}

const targets = evaluateTargets(models as Record<string, BenchModel>, failures);
for (const t of targets) {
  log(
    `target ${t.met ? "MET " : "MISS"} ${t.model} ${t.variant} ${t.metric} ${t.target}: ${t.measured === null ? t.variantStatus : t.measured.toFixed(4)}`,
  );
}
const output = {
  bench: "quant",
  createdAt: new Date().toISOString(),
  durationSeconds: Math.round((Date.now() - started) / 1000),
  environment: {
    runtime: runtime.name,
    cpuModel: cpus()[0]?.model ?? "unknown",
    availableParallelism: availableParallelism(),
    threads,
    evalSamples,
    latencyRuns,
    warmupRuns,
    powerProfile: profile,
    note: "latency ratios are measured side by side (interleaved runs) in one process; energy is modelled from CPU time × the power profile, not measured",
  },
  models,
  targets,
};
process.stdout.write(`${JSON.stringify(output)}\n`);
