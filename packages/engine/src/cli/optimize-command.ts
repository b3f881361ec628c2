/**
 * `edgewatt-engine optimize --model in.onnx --recipe quantize-dynamic-int8 --out DIR [--data calib.npz]`
 * Writes DIR/<variant>.onnx for every variant built and DIR/report.json, all-or-nothing.
 */
import { basename } from "node:path";
import { parseArrays } from "../data/npz";
import { EvaluationError } from "../errors";
import { getPass } from "../passes/registry";
import type { Runtime } from "../types";
import { type OptimizeResult, optimizeModel, sha256Hex, type VariantResult } from "../variant";
import { getIntOption, getOption, getRequiredOption, parseArgs, UsageError } from "./args";
import { formatBytes } from "./format";
import { loadOrtRuntime } from "./load-runtime";
import { writeFilesAtomically } from "./output-files";
import { readInputFile } from "./read-input";

const OPTIONS = ["model", "recipe", "out", "data", "samples", "batch", "threads", "latency-runs"] as const;

export async function runOptimize(argv: readonly string[]): Promise<number> {
  const args = parseArgs(argv, { flags: ["json", "quiet"], options: OPTIONS });
  if (args.positionals.length) throw new UsageError(`unexpected argument '${args.positionals[0]}'`);
  const modelPath = getRequiredOption(args, "model");
  const outDir = getRequiredOption(args, "out");
  const recipe = (args.options.get("recipe") ?? [])
    .flatMap((r) => r.split(","))
    .map((r) => r.trim())
    .filter(Boolean);
  if (recipe.length === 0) throw new UsageError("--recipe is required (e.g. --recipe quantize-dynamic-int8)");
  for (const entry of recipe) {
    for (const pass of entry.split("+")) {
      try {
        getPass(pass.trim());
      } catch (error) {
        throw new UsageError((error as Error).message);
      }
    }
  }
  const dataPath = getOption(args, "data");
  const samples = getIntOption(args, "samples", 200, 1);
  const batchSize = getIntOption(args, "batch", 32, 1);
  const threads = getIntOption(args, "threads", 1, 1);
  const latencyRuns = getIntOption(args, "latency-runs", 100, 0);
  const quiet = args.flags.has("quiet") || args.flags.has("json");

  const bytes = await readInputFile(modelPath, "model");
  const arrays = dataPath ? parseArrays(await readInputFile(dataPath, "data"), "input") : undefined;
  const runtime: Runtime | undefined = await loadOrtRuntime();
  if (arrays && !runtime) {
    throw new EvaluationError(
      "RUNTIME_FAILED",
      "--data needs onnxruntime-node, which could not be loaded here",
    );
  }

  const result = await optimizeModel({
    bytes,
    recipe,
    ...(runtime ? { runtime } : {}),
    ...(arrays
      ? { evaluation: { arrays, maxSamples: samples, batchSize, intraOpThreads: threads, latencyRuns } }
      : {}),
    onProgress: (e) => {
      if (!quiet) console.error(`[${e.variant}] ${e.pass} ${e.status}${e.message ? `: ${e.message}` : ""}`);
    },
  });

  const report = createReport(result, { modelPath, dataPath, modelBytes: bytes });
  await writeFilesAtomically(outDir, [
    ...result.variants.map((v) => ({ name: `${v.name}.onnx`, data: v.bytes })),
    { name: "report.json", data: `${JSON.stringify(report, null, 2)}\n` },
  ]);
  if (args.flags.has("json")) console.log(JSON.stringify(report, null, 2));
  else console.log(formatReport(result, outDir));
  return result.failures.length > 0 ? 1 : 0;
}

function describeVariant(v: VariantResult, baseline: VariantResult, file: string | null) {
  return {
    name: v.name,
    passes: v.passes,
    file,
    sizeBytes: v.sizeBytes,
    sizeRatio: v.sizeBytes / baseline.sizeBytes,
    sha256: v.sha256,
    params: v.params,
    macs: v.macs,
    ...(v.notes.length ? { notes: v.notes } : {}),
    ...(v.fidelity ? { fidelity: v.fidelity } : {}),
    ...(v.accuracy !== undefined ? { accuracy: v.accuracy } : {}),
    ...(v.latency ? { latency: v.latency } : {}),
  };
}

function createReport(
  result: OptimizeResult,
  input: { modelPath: string; dataPath: string | undefined; modelBytes: Uint8Array },
) {
  return {
    tool: "edgewatt-engine optimize",
    createdAt: new Date().toISOString(),
    model: {
      file: basename(input.modelPath),
      sizeBytes: input.modelBytes.byteLength,
      sha256: sha256Hex(input.modelBytes),
    },
    ...(input.dataPath ? { data: { file: basename(input.dataPath), samples: result.samples } } : {}),
    runtime: result.runtime ?? null,
    variants: [
      describeVariant(result.baseline, result.baseline, null),
      ...result.variants.map((v) => describeVariant(v, result.baseline, `${v.name}.onnx`)),
    ],
    failures: result.failures,
  };
}

function formatReport(result: OptimizeResult, outDir: string): string {
  const base = result.baseline;
  const lines = [`wrote ${result.variants.length} variant(s) and report.json to ${outDir}`];
  for (const v of [base, ...result.variants]) {
    const parts = [
      `${v.name.padEnd(16)} ${formatBytes(v.sizeBytes).padStart(10)} (×${(v.sizeBytes / base.sizeBytes).toFixed(3)})`,
    ];
    if (v.fidelity) {
      parts.push(`cosine ${v.fidelity.cosine.toFixed(5)}`, `max|Δ| ${v.fidelity.maxAbsError.toPrecision(3)}`);
      if (v.fidelity.top1Agreement !== undefined)
        parts.push(`top-1 agree ${(v.fidelity.top1Agreement * 100).toFixed(1)}%`);
    }
    if (v.accuracy !== undefined) parts.push(`label acc ${(v.accuracy * 100).toFixed(1)}%`);
    if (v.latency) parts.push(`p50 ${v.latency.p50Ms.toFixed(3)} ms`);
    lines.push(`  ${parts.join("  ")}`);
  }
  for (const f of result.failures) lines.push(`  FAILED ${f.name} at ${f.pass} [${f.code}]: ${f.error}`);
  return lines.join("\n");
}
