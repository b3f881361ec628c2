/**
 * optimizeModel: the entry point the worker, the CLI and the benchmark call. Parses the upload once,
 * plans the variants (recipe entries are pass names, 'a+b' chains, or `auto` — the standard ladder, see
 * optimize/ladder.ts), builds each from the original, validates it and, given a Runtime and evaluation
 * data, measures every figure of the evaluator against the baseline (latency side by side for all of them).
 * A failing pass fails only its variant; bad input (not ONNX, invalid graph, data that does not fit the
 * model's inputs) rejects the whole call with an EngineError before anything is built.
 */
import { createHash } from "node:crypto";
import { getPowerProfile } from "./energy/power-profiles";
import { type EngineErrorCode, isEngineError } from "./errors";
import { createEvaluationSet, type EvaluationSet } from "./eval/dataset";
import { type CollectedOutputs, compareOutputs, computeLabelAccuracy } from "./eval/evaluate";
import {
  collectModelOutputs,
  DEFAULT_POWER_PROFILE,
  describeModelFigures,
  measurePerformanceFigures,
} from "./eval/evaluator";
import { computeOutputFigures } from "./eval/fidelity-figures";
import { computeRatios, latencyKeys } from "./eval/figures";
import type { MemoryProbe } from "./eval/memory-probe";
import { parseModel, serializeModel } from "./onnx/codec";
import { DATA_TYPE } from "./onnx/data-type";
import { inspectModel } from "./onnx/inspect";
import type { OnnxModel } from "./onnx/model";
import { assertValidModel } from "./onnx/validate";
import { getDropReason, getMatMulShare, planRecipe } from "./optimize/ladder";
import type {
  DataInfo,
  DroppedVariant,
  OptimizeData,
  OptimizeEvaluation,
  OptimizeResult,
  VariantFailure,
  VariantResult,
} from "./optimize/result";
import { getPass } from "./passes/registry";
import type { Pass, ProgressEvent, Runtime } from "./types";

export type {
  DataInfo,
  DroppedVariant,
  OptimizeData,
  OptimizeEvaluation,
  OptimizeResult,
  VariantFailure,
  VariantResult,
} from "./optimize/result";

export interface OptimizeModelOptions {
  bytes: Uint8Array;
  /** Variants to build: pass names, 'pass-a+pass-b' chains, or 'auto' (the standard ladder). */
  recipe: readonly string[];
  /** Needed to check variants load and to evaluate them. */
  runtime?: Runtime;
  /** Data for passes that calibrate (PassContext.data.calibration); default: the evaluation data. */
  calibration?: OptimizeData;
  /** Evaluation data and measurement settings; measured only with a `runtime`. */
  evaluation?: OptimizeEvaluation;
  onProgress?: (event: ProgressEvent) => void;
  /**
   * Passes used in place of the registered ones of the same name for this run only (e.g. an accuracy-aware pass
   * with a job's own goal), so concurrent runs in one process do not change each other's passes.
   */
  passOverrides?: ReadonlyMap<string, Pass>;
  /** Checked between passes and variants: an aborted run stops there and rejects with the signal's reason. */
  signal?: AbortSignal;
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
  const figures = describeModelFigures(model, bytes.byteLength);
  return {
    name,
    passes,
    bytes,
    sha256: sha256Hex(bytes),
    sizeBytes: bytes.byteLength,
    params: figures.params?.value ?? 0,
    macs: figures.macs?.value ?? 0,
    notes,
    figures,
    ratios: {},
  };
}

function toSet(model: OnnxModel, data: OptimizeData): EvaluationSet {
  return createEvaluationSet(model, data.arrays, {
    ...(data.maxSamples !== undefined ? { maxSamples: data.maxSamples } : {}),
    batchSize: data.batchSize ?? 32,
  });
}

function describeData(data: OptimizeData, set: EvaluationSet): DataInfo {
  return {
    ...(data.label ? { label: data.label } : {}),
    samples: set.samples,
    synthetic: data.synthetic === true,
  };
}

function dataLabelOf(info: DataInfo): string {
  return info.synthetic
    ? `${info.samples} synthetic inputs (generated from the input specs, not real data)`
    : `${info.samples} samples of ${info.label ?? "the evaluation data"}`;
}

interface Evaluation {
  set: EvaluationSet;
  reference: CollectedOutputs;
  dataLabel: string;
  evalThreads: number;
  reconstruction?: boolean;
  memoryProbe?: MemoryProbe;
}

function errorCode(error: unknown): EngineErrorCode | "INTERNAL" {
  return isEngineError(error) ? error.code : "INTERNAL";
}

export async function optimizeModel(options: OptimizeModelOptions): Promise<OptimizeResult> {
  const { bytes, runtime, evaluation, onProgress, signal } = options;
  signal?.throwIfAborted();
  const model = parseModel(bytes);
  assertValidModel(model);
  const summary = inspectModel(model, { sizeBytes: bytes.byteLength });
  const baseline = describeResult(baselineName(model), [], model, bytes, []);
  const { planned, skipped } = planRecipe(options.recipe, summary);
  const plannedVariants = planned.length;

  // Bad data is bad input: checked for the whole call before anything is built.
  const calibrationData = options.calibration ?? evaluation;
  const calibration = calibrationData ? toSet(model, calibrationData) : undefined;
  const evaluationSet = evaluation ? toSet(model, evaluation) : undefined;
  const data: OptimizeResult["data"] = {
    ...(calibrationData && calibration ? { calibration: describeData(calibrationData, calibration) } : {}),
    ...(evaluation && evaluationSet ? { evaluation: describeData(evaluation, evaluationSet) } : {}),
  };

  let measured: Evaluation | undefined;
  if (runtime && evaluation && evaluationSet && data.evaluation) {
    const evalThreads = evaluation.intraOpThreads ?? 1;
    const dataLabel = dataLabelOf(data.evaluation);
    onProgress?.({ variant: baseline.name, pass: "evaluate", status: "started", plannedVariants });
    const reference = await collectModelOutputs(runtime, bytes, evaluationSet, evalThreads);
    const reconstruction = evaluation.reconstruction;
    Object.assign(
      baseline.figures,
      computeOutputFigures(reference, evaluationSet, {
        dataLabel,
        ...(reconstruction !== undefined ? { reconstruction } : {}),
      }),
    );
    const accuracy = computeLabelAccuracy(reference, evaluationSet);
    if (accuracy !== undefined) baseline.accuracy = accuracy;
    onProgress?.({ variant: baseline.name, pass: "evaluate", status: "done", plannedVariants });
    measured = {
      set: evaluationSet,
      reference,
      dataLabel,
      evalThreads,
      ...(reconstruction !== undefined ? { reconstruction } : {}),
      ...(evaluation.memoryProbe ? { memoryProbe: evaluation.memoryProbe } : {}),
    };
  }

  const built: { result: VariantResult; fromLadder: boolean }[] = [];
  const failures: VariantFailure[] = [];
  const usedNames = new Set([baseline.name]);
  for (const plan of planned) {
    signal?.throwIfAborted();
    let name = plan.fallbackName;
    let step = plan.passes[0] ?? plan.fallbackName;
    const emit = (event: Omit<ProgressEvent, "variant" | "plannedVariants">) =>
      onProgress?.({ variant: name, ...event, plannedVariants });
    try {
      const passes: Pass[] = plan.passes.map((p) => {
        step = p;
        return options.passOverrides?.get(p) ?? getPass(p);
      });
      name = uniqueName(passes.map((p) => p.variantName).join("-") || plan.fallbackName, usedNames);
      let current = model;
      const notes: string[] = [];
      for (const pass of passes) {
        signal?.throwIfAborted();
        step = pass.name;
        emit({ pass: pass.name, status: "started" });
        const passNotes: string[] = [];
        current = await pass.run(current, {
          log: (message) => passNotes.push(message),
          ...(runtime ? { runtime } : {}),
          data: {
            ...(calibration ? { calibration } : {}),
            ...(evaluationSet ? { evaluation: evaluationSet } : {}),
          },
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
      const result = describeResult(name, plan.passes, current, serializeModel(current), notes);
      if (runtime) {
        step = "evaluate";
        emit({ pass: step, status: "started" });
        await evaluateBuilt(result, runtime, measured);
        emit({ pass: step, status: "done" });
      }
      built.push({ result, fromLadder: plan.fromLadder });
    } catch (error) {
      // Cancelled: not a failure of this variant; the whole run stops.
      if (signal?.aborted) throw signal.reason;
      const message = error instanceof Error ? error.message : String(error);
      emit({ pass: step, status: "failed", message });
      failures.push({ name, pass: step, code: errorCode(error), error: message });
    }
  }

  signal?.throwIfAborted();
  let settings: OptimizeResult["settings"];
  if (runtime && evaluation && measured) {
    const threads = [...new Set(evaluation.threads?.length ? evaluation.threads : [1])];
    settings = {
      threads,
      evalThreads: measured.evalThreads,
      latencyRuns: evaluation.latencyRuns ?? 100,
      warmupRuns: evaluation.warmupRuns ?? 10,
      profile: getPowerProfile(evaluation.profile ?? DEFAULT_POWER_PROFILE),
    };
    if (settings.latencyRuns > 0) {
      onProgress?.({ variant: "all", pass: "measure-latency", status: "started", plannedVariants });
      const lost = await measureLatencies(runtime, measured, settings, baseline, built);
      for (const [name, error] of lost) {
        const index = built.findIndex((b) => b.result.name === name);
        if (index >= 0) built.splice(index, 1);
        failures.push({ name, pass: "measure-latency", code: errorCode(error), error: String(error) });
      }
      onProgress?.({ variant: "all", pass: "measure-latency", status: "done", plannedVariants });
    }
  }

  const variants: VariantResult[] = [];
  const dropped: DroppedVariant[] = [];
  const t = settings?.threads.includes(1) ? 1 : (settings?.threads[0] ?? 1);
  const p50 = (r: VariantResult) => r.figures[latencyKeys(t).p50]?.value;
  for (const { result, fromLadder } of built) {
    result.ratios = computeRatios(result.figures, baseline.figures);
    const reason = fromLadder
      ? getDropReason(
          { sizeBytes: result.sizeBytes, ...optional("p50Ms", p50(result)) },
          { sizeBytes: baseline.sizeBytes, ...optional("p50Ms", p50(baseline)) },
          t,
        )
      : undefined;
    if (!reason) {
      variants.push(result);
      continue;
    }
    const { bytes: _bytes, ...rest } = result;
    dropped.push({ ...rest, reason });
    onProgress?.({
      variant: result.name,
      pass: "select",
      status: "done",
      message: `dropped: ${reason}`,
      plannedVariants,
    });
  }
  return {
    baseline,
    variants,
    failures,
    dropped,
    skipped,
    matMulShare: getMatMulShare(summary),
    ...(runtime ? { runtime: runtime.name } : {}),
    ...(measured ? { samples: measured.set.samples } : {}),
    data,
    ...(settings ? { settings } : {}),
  };
}

function optional<K extends string>(key: K, value: number | undefined): { [P in K]?: number } {
  return value === undefined ? {} : ({ [key]: value } as { [P in K]?: number });
}

/** Output figures against the baseline when there is evaluation data, else only a load check. */
async function evaluateBuilt(result: VariantResult, runtime: Runtime, measured: Evaluation | undefined) {
  if (!measured) {
    const session = await runtime.createSession(result.bytes, { intraOpThreads: 1 });
    await session.release();
    return;
  }
  const { set, reference, dataLabel, evalThreads, reconstruction } = measured;
  const outputs = await collectModelOutputs(runtime, result.bytes, set, evalThreads);
  Object.assign(
    result.figures,
    computeOutputFigures(outputs, set, {
      dataLabel,
      reference,
      ...(reconstruction !== undefined ? { reconstruction } : {}),
    }),
  );
  result.fidelity = compareOutputs(reference, outputs, set);
  const accuracy = computeLabelAccuracy(outputs, set);
  if (accuracy !== undefined) result.accuracy = accuracy;
}

/**
 * Latency/CPU/energy/RSS figures of the baseline and every built variant, side by side. If that fails
 * (a session that will not run), each model is retried alone; the names of those that still fail are returned.
 */
async function measureLatencies(
  runtime: Runtime,
  measured: Evaluation,
  settings: NonNullable<OptimizeResult["settings"]>,
  baseline: VariantResult,
  built: { result: VariantResult }[],
): Promise<Map<string, unknown>> {
  const all = [baseline, ...built.map((b) => b.result)];
  const measure = (models: VariantResult[]) =>
    measurePerformanceFigures({
      runtime,
      set: measured.set,
      dataLabel: measured.dataLabel,
      threads: settings.threads,
      latencyRuns: settings.latencyRuns,
      warmupRuns: settings.warmupRuns,
      profile: settings.profile.id,
      ...(measured.memoryProbe ? { memoryProbe: measured.memoryProbe } : {}),
      models: models.map((m) => ({ key: m.name, bytes: m.bytes })),
    });
  const lost = new Map<string, unknown>();
  try {
    const figures = await measure(all);
    for (const model of all) Object.assign(model.figures, figures.get(model.name));
  } catch {
    for (const model of all) {
      try {
        Object.assign(model.figures, (await measure([model])).get(model.name));
      } catch (error) {
        if (model === baseline) throw error;
        lost.set(model.name, error instanceof Error ? error.message : error);
      }
    }
  }
  return lost;
}

function uniqueName(base: string, used: Set<string>): string {
  let name = base;
  for (let i = 2; used.has(name); i++) name = `${base}-${i}`;
  used.add(name);
  return name;
}
