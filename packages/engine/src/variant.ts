/**
 * optimizeModel: the entry point the worker calls. Parses the upload once, builds one variant per recipe
 * entry (an entry is a pass name, or several joined with '+' to chain them), validates each variant and,
 * given a Runtime, checks it loads and optionally measures fidelity and latency against the baseline.
 * A failing pass fails only its variant; bad input (not ONNX, invalid graph, data that does not fit)
 * rejects the whole call with an EngineError.
 */
import { createHash } from "node:crypto";
import type { NpyArray } from "./data/npy";
import { type EngineErrorCode, isEngineError } from "./errors";
import { createEvaluationSet, type EvaluationSet, getBatchFeeds } from "./eval/dataset";
import {
  type CollectedOutputs,
  collectOutputs,
  compareOutputs,
  computeLabelAccuracy,
  type Fidelity,
  type LatencyStats,
  measureLatency,
} from "./eval/evaluate";
import { parseModel, serializeModel } from "./onnx/codec";
import { DATA_TYPE } from "./onnx/data-type";
import { inspectModel } from "./onnx/inspect";
import type { OnnxModel } from "./onnx/model";
import { assertValidModel } from "./onnx/validate";
import { getPass } from "./passes/registry";
import type { Pass, ProgressEvent, Runtime } from "./types";

export interface OptimizeEvaluation {
  /** Arrays named after the model inputs (plus optional `labels`), e.g. from parseNpz. */
  arrays: ReadonlyMap<string, NpyArray>;
  /** Samples compared per variant; default 200. */
  maxSamples?: number;
  /** Samples per run when the model's batch dim is dynamic; default 32. */
  batchSize?: number;
  /** Timed single-sample runs per variant (after 10 warm-up runs); default 100, 0 = skip latency. */
  latencyRuns?: number;
  /** Intra-op threads for every session; default 1 (comparable across machines with few cores). */
  intraOpThreads?: number;
}

export interface OptimizeModelOptions {
  bytes: Uint8Array;
  /** Variants to build: each entry is a pass name or 'pass-a+pass-b'. */
  recipe: readonly string[];
  /** Needed to check variants load and to evaluate them. */
  runtime?: Runtime;
  /** Fidelity/latency measurement; requires `runtime`. */
  evaluation?: OptimizeEvaluation;
  onProgress?: (event: ProgressEvent) => void;
}

export interface VariantResult {
  name: string;
  passes: string[];
  bytes: Uint8Array;
  sha256: string;
  sizeBytes: number;
  params: number;
  macs: number;
  /** What the passes changed or skipped. */
  notes: string[];
  /** Outputs compared with the baseline's on the evaluation set (variants only). */
  fidelity?: Fidelity;
  /** Argmax accuracy against the evaluation set's `labels`, when it has them. */
  accuracy?: number;
  latency?: LatencyStats;
}

export interface VariantFailure {
  name: string;
  /** The pass that failed, or 'validate' / 'evaluate'. */
  pass: string;
  code: EngineErrorCode | "INTERNAL";
  error: string;
}

export interface OptimizeResult {
  baseline: VariantResult;
  variants: VariantResult[];
  failures: VariantFailure[];
  /** Runtime used for checks and measurements. */
  runtime?: string;
  /** Evaluation samples each variant was compared on. */
  samples?: number;
}

interface Measurement {
  runtime: Runtime;
  set?: EvaluationSet;
  reference?: CollectedOutputs;
  evaluation?: OptimizeEvaluation;
}

export function sha256Hex(bytes: Uint8Array): string {
  return createHash("sha256").update(bytes).digest("hex");
}

/** 'fp16' when most weight elements are float16, else 'fp32'. */
function baselineName(model: OnnxModel): string {
  let half = 0;
  let other = 0;
  for (const t of model.graph.initializer) {
    const n = t.dims.reduce((a, b) => a * b, 1);
    if (t.dataType === DATA_TYPE.FLOAT16) half += n;
    else other += n;
  }
  return half > other ? "fp16" : "fp32";
}

function describeResult(
  name: string,
  passes: string[],
  model: OnnxModel,
  bytes: Uint8Array,
  notes: string[],
): VariantResult {
  const summary = inspectModel(model, { sizeBytes: bytes.byteLength });
  return {
    name,
    passes,
    bytes,
    sha256: sha256Hex(bytes),
    sizeBytes: bytes.byteLength,
    params: summary.params,
    macs: summary.macs,
    notes,
  };
}

async function measure(result: VariantResult, measurement: Measurement): Promise<void> {
  const { runtime, set, reference, evaluation } = measurement;
  const threads = evaluation?.intraOpThreads ?? 1;
  const session = await runtime.createSession(result.bytes, { intraOpThreads: threads });
  try {
    if (set && reference) {
      const outputs = result.passes.length === 0 ? reference : await collectOutputs(session, set);
      if (outputs !== reference) result.fidelity = compareOutputs(reference, outputs, set);
      const accuracy = computeLabelAccuracy(outputs, set);
      if (accuracy !== undefined) result.accuracy = accuracy;
    }
  } finally {
    await session.release();
  }
  const runs = evaluation?.latencyRuns ?? 100;
  if (set && runs > 0) {
    const feeds = getBatchFeeds(set, 0, set.fixedBatch ?? 1);
    result.latency = await measureLatency({
      runtime,
      bytes: result.bytes,
      feeds,
      runs,
      intraOpThreads: threads,
    });
  }
}

export async function optimizeModel(options: OptimizeModelOptions): Promise<OptimizeResult> {
  const { bytes, runtime, evaluation, onProgress } = options;
  const model = parseModel(bytes);
  assertValidModel(model);
  const baseline = describeResult(baselineName(model), [], model, bytes, []);

  let measurement: Measurement | undefined;
  if (runtime) {
    measurement = { runtime, ...(evaluation ? { evaluation } : {}) };
    if (evaluation) {
      const set = createEvaluationSet(model, evaluation.arrays, {
        maxSamples: evaluation.maxSamples ?? 200,
        batchSize: evaluation.batchSize ?? 32,
      });
      const session = await runtime.createSession(bytes, { intraOpThreads: evaluation.intraOpThreads ?? 1 });
      try {
        measurement.reference = await collectOutputs(session, set);
      } finally {
        await session.release();
      }
      measurement.set = set;
      await measure(baseline, measurement);
    }
  }

  const variants: VariantResult[] = [];
  const failures: VariantFailure[] = [];
  const usedNames = new Set([baseline.name]);
  for (const entry of options.recipe) {
    const passNames = entry
      .split("+")
      .map((p) => p.trim())
      .filter((p) => p !== "");
    let name = entry;
    let step = passNames[0] ?? entry;
    const emit = (event: Omit<ProgressEvent, "variant">) => onProgress?.({ variant: name, ...event });
    try {
      const passes: Pass[] = passNames.map((p) => {
        step = p;
        return getPass(p);
      });
      name = uniqueName(passes.map((p) => p.variantName).join("-") || entry, usedNames);
      let current = model;
      const notes: string[] = [];
      for (const pass of passes) {
        step = pass.name;
        emit({ pass: pass.name, status: "started" });
        const passNotes: string[] = [];
        current = await pass.run(current, {
          log: (message) => passNotes.push(message),
          ...(runtime ? { runtime } : {}),
        });
        notes.push(...passNotes.map((n) => `${pass.name}: ${n}`));
        emit({
          pass: pass.name,
          status: "done",
          ...(passNotes.length ? { message: passNotes.join("; ") } : {}),
        });
      }
      step = "validate";
      assertValidModel(current);
      const result = describeResult(name, passNames, current, serializeModel(current), notes);
      if (measurement) {
        step = "evaluate";
        emit({ pass: step, status: "started" });
        await measure(result, measurement);
        emit({ pass: step, status: "done" });
      }
      variants.push(result);
    } catch (error) {
      const message = error instanceof Error ? error.message : String(error);
      emit({ pass: step, status: "failed", message });
      failures.push({
        name,
        pass: step,
        code: isEngineError(error) ? error.code : "INTERNAL",
        error: message,
      });
    }
  }
  return {
    baseline,
    variants,
    failures,
    ...(runtime ? { runtime: runtime.name } : {}),
    ...(measurement?.set ? { samples: measurement.set.samples } : {}),
  };
}

function uniqueName(base: string, used: Set<string>): string {
  let name = base;
  for (let i = 2; used.has(name); i++) name = `${base}-${i}`;
  used.add(name);
  return name;
}
