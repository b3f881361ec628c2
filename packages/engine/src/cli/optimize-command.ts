/**
 * `edgewatt-engine optimize --model in.onnx --recipe <pass[+pass][,…]|auto> --out DIR [--data calib.npz]
 *  [--eval eval.npz] [--max-accuracy-drop PTS | --max-fidelity-loss X] [--calibration minmax|percentile|entropy]`
 *  writes DIR/<variant>.onnx for every variant kept and DIR/report.json, all-or-nothing.
 */
import { availableParallelism, cpus } from "node:os";
import { basename } from "node:path";
import { parseArrays } from "../data/npz";
import { findPowerProfile, POWER_PROFILE_IDS } from "../energy/power-profiles";
import { EvaluationError } from "../errors";
import { createSubprocessMemoryProbe } from "../eval/memory-probe";
import { AUTO_RECIPE, splitEntry } from "../optimize/ladder";
import { createOptimizeReport, variantFileName } from "../optimize/report";
import { getPass } from "../passes/registry";
import type { Runtime } from "../types";
import { optimizeModel, sha256Hex } from "../variant";
import { getIntOption, getOption, getRequiredOption, type ParsedArgs, parseArgs, UsageError } from "./args";
import { formatOptimizeResult } from "./format-report";
import { loadOrtRuntime } from "./load-runtime";
import { writeFilesAtomically } from "./output-files";
import { applyPassOptions, PASS_OPTION_NAMES } from "./pass-options";
import { InputFileError, readInputFile } from "./read-input";

const OPTIONS = [
  "model",
  "recipe",
  "out",
  "data",
  "eval",
  "samples",
  "calib-samples",
  "batch",
  "threads",
  "eval-threads",
  "latency-runs",
  "warmup-runs",
  "profile",
  "memory",
  ...PASS_OPTION_NAMES,
] as const;

function parseRecipe(args: ParsedArgs): string[] {
  const recipe = (args.options.get("recipe") ?? [])
    .flatMap((r) => r.split(","))
    .map((r) => r.trim())
    .filter(Boolean);
  if (recipe.length === 0) throw new UsageError("--recipe is required (e.g. --recipe auto)");
  for (const entry of recipe) {
    if (entry === AUTO_RECIPE) continue;
    for (const pass of splitEntry(entry)) {
      try {
        getPass(pass);
      } catch (error) {
        throw new UsageError((error as Error).message);
      }
    }
  }
  return recipe;
}

/** `--threads 1,4` → [1, 4]; default 1 and all cores. */
function parseThreads(args: ParsedArgs): number[] {
  const value = getOption(args, "threads");
  if (value === undefined) return [...new Set([1, availableParallelism()])];
  const threads = value.split(",").map((t) => Number(t.trim()));
  if (threads.length === 0 || threads.some((t) => !Number.isInteger(t) || t < 1))
    throw new UsageError(`--threads must be a comma-separated list of integers ≥ 1, got '${value}'`);
  return [...new Set(threads)];
}

async function readArrays(path: string, what: string) {
  const bytes = await readInputFile(path, what);
  if (bytes.byteLength === 0) {
    throw new InputFileError(`${what} file '${path}' is empty; save arrays with np.savez(path, <input>=x)`);
  }
  const arrays = parseArrays(bytes, "input");
  if ([...arrays.keys()].every((k) => k === "labels")) {
    throw new InputFileError(`${what} file '${path}' holds no input arrays; save one array per model input`);
  }
  return arrays;
}

export async function runOptimize(argv: readonly string[]): Promise<number> {
  const args = parseArgs(argv, { flags: ["json", "quiet", "reconstruction"], options: OPTIONS });
  if (args.positionals.length) throw new UsageError(`unexpected argument '${args.positionals[0]}'`);
  const modelPath = getRequiredOption(args, "model");
  const outDir = getRequiredOption(args, "out");
  applyPassOptions(args);
  const recipe = parseRecipe(args);
  const dataPath = getOption(args, "data");
  const evalPath = getOption(args, "eval");
  if (evalPath && !dataPath) throw new UsageError("--eval needs --data (the calibration data)");
  const samples = getIntOption(args, "samples", 0, 1) || undefined;
  const calibSamples = getIntOption(args, "calib-samples", 0, 1) || undefined;
  const batchSize = getIntOption(args, "batch", 32, 1);
  const threads = parseThreads(args);
  const evalThreads = getIntOption(args, "eval-threads", 1, 1);
  const latencyRuns = getIntOption(args, "latency-runs", 100, 0);
  const warmupRuns = getIntOption(args, "warmup-runs", 10, 0);
  const profile = getOption(args, "profile") ?? "generic-x86";
  if (!findPowerProfile(profile))
    throw new UsageError(`unknown --profile '${profile}'; known: ${POWER_PROFILE_IDS.join(", ")}`);
  const memory = getOption(args, "memory") ?? "subprocess";
  if (memory !== "subprocess" && memory !== "in-process")
    throw new UsageError(`--memory must be 'subprocess' or 'in-process', got '${memory}'`);
  const quiet = args.flags.has("quiet") || args.flags.has("json");

  const bytes = await readInputFile(modelPath, "model");
  const calibArrays = dataPath ? await readArrays(dataPath, "calibration data") : undefined;
  const evalArrays = evalPath ? await readArrays(evalPath, "evaluation data") : calibArrays;
  const runtime: Runtime | undefined = await loadOrtRuntime();
  if (calibArrays && !runtime) {
    throw new EvaluationError(
      "RUNTIME_FAILED",
      "--data needs onnxruntime-node, which could not be loaded here",
    );
  }
  const evalLabel = evalPath
    ? basename(evalPath)
    : dataPath
      ? `${basename(dataPath)} (the calibration data: no --eval given)`
      : undefined;

  const result = await optimizeModel({
    bytes,
    recipe,
    ...(runtime ? { runtime } : {}),
    ...(calibArrays && dataPath
      ? {
          calibration: {
            arrays: calibArrays,
            label: basename(dataPath),
            batchSize,
            ...(calibSamples ? { maxSamples: calibSamples } : {}),
          },
        }
      : {}),
    ...(evalArrays && evalLabel
      ? {
          evaluation: {
            arrays: evalArrays,
            label: evalLabel,
            batchSize,
            ...(samples ? { maxSamples: samples } : {}),
            intraOpThreads: evalThreads,
            threads,
            latencyRuns,
            warmupRuns,
            profile,
            ...(args.flags.has("reconstruction") ? { reconstruction: true } : {}),
            ...(memory === "subprocess"
              ? { memoryProbe: createSubprocessMemoryProbe({ runtimeModule: "onnxruntime-node" }) }
              : {}),
          },
        }
      : {}),
    onProgress: (e) => {
      if (!quiet) console.error(`[${e.variant}] ${e.pass} ${e.status}${e.message ? `: ${e.message}` : ""}`);
    },
  });

  const report = createOptimizeReport(result, {
    tool: "edgewatt-engine optimize",
    recipe,
    model: { file: basename(modelPath), sizeBytes: bytes.byteLength, sha256: sha256Hex(bytes) },
    files: {
      ...(dataPath ? { calibration: basename(dataPath) } : {}),
      ...(evalPath ? { evaluation: basename(evalPath) } : dataPath ? { evaluation: basename(dataPath) } : {}),
    },
    cpuModel: cpus()[0]?.model ?? "unknown",
    availableParallelism: availableParallelism(),
  });
  await writeFilesAtomically(outDir, [
    ...result.variants.map((v) => ({ name: variantFileName(v.name), data: v.bytes })),
    { name: "report.json", data: `${JSON.stringify(report, null, 2)}\n` },
  ]);
  if (args.flags.has("json")) console.log(JSON.stringify(report, null, 2));
  else console.log(formatOptimizeResult(result, outDir));
  return result.failures.length > 0 ? 1 : 0;
}
