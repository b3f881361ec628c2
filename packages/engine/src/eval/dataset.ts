/** Turning named arrays (from .npz) into runtime feeds that match a model's inputs. */
import type { NpyArray } from "../data/npy";
import { EvaluationError } from "../errors";
import { inspectModel, type TensorSummary } from "../onnx/inspect";
import type { OnnxModel } from "../onnx/model";
import type { RuntimeTensor, RuntimeTensorData } from "../types";

export interface EvaluationSet {
  /** Model input name → array whose first axis indexes samples. */
  inputs: Map<string, NpyArray>;
  /** Optional ground truth (`labels` in the archive), first axis indexes samples. */
  labels?: NpyArray;
  samples: number;
  /** Samples per run: the model's fixed batch dim, else the requested batch size (the last run may be short). */
  batchSize: number;
  /** The model's batch dim when it is fixed (latency must then run a full batch). */
  fixedBatch?: number;
}

function mismatch(message: string): EvaluationError {
  return new EvaluationError("DATA_MISMATCH", message);
}

/**
 * Matches arrays to the model's inputs by name (a single-input model also accepts a single array of
 * any name) and checks dtypes and fixed dims. Throws EvaluationError(DATA_MISMATCH) saying what differs.
 */
export function createEvaluationSet(
  model: OnnxModel,
  arrays: ReadonlyMap<string, NpyArray>,
  options: { maxSamples?: number; batchSize?: number } = {},
): EvaluationSet {
  const summary = inspectModel(model, { sizeBytes: 0 });
  const inputs = new Map<string, NpyArray>();
  const candidates = [...arrays.values()].filter((a) => a.name !== "labels");
  for (const input of summary.inputs) {
    const array =
      arrays.get(input.name) ??
      (summary.inputs.length === 1 && candidates.length === 1 ? candidates[0] : undefined);
    if (!array) {
      throw mismatch(
        `the data file has no array named '${input.name}' (model inputs: ${summary.inputs.map((i) => i.name).join(", ")}; ` +
          `arrays in file: ${[...arrays.keys()].join(", ") || "none"}). Save one array per input: np.savez(path, ${input.name}=x)`,
      );
    }
    checkArray(input, array);
    inputs.set(input.name, array);
  }
  const counts = [...inputs.values()].map((a) => a.shape[0] ?? 0);
  const available = Math.min(...counts);
  if (counts.some((c) => c !== available))
    throw mismatch(`input arrays have different sample counts (${counts.join(", ")})`);
  const fixedBatch = summary.inputs.map((i) => i.shape?.[0]).find((d): d is number => typeof d === "number");
  const batchSize = fixedBatch ?? Math.max(1, options.batchSize ?? 32);
  let samples = Math.min(available, options.maxSamples ?? available);
  if (fixedBatch !== undefined) samples -= samples % fixedBatch;
  if (samples === 0)
    throw mismatch(`the data has ${available} sample(s), fewer than one batch of ${batchSize}`);
  const labels = arrays.get("labels");
  return {
    inputs,
    samples,
    batchSize,
    ...(fixedBatch !== undefined ? { fixedBatch } : {}),
    ...(labels && (labels.shape[0] ?? 0) >= samples ? { labels } : {}),
  };
}

function checkArray(input: TensorSummary, array: NpyArray): void {
  if (input.elemType !== array.dtype) {
    throw mismatch(
      `array '${array.name}' is ${array.dtype} but model input '${input.name}' expects ${input.elemType}`,
    );
  }
  const shape = input.shape;
  if (!shape) return;
  if (shape.length !== array.shape.length) {
    throw mismatch(
      `array '${array.name}' has shape [${array.shape.join(", ")}] but model input '${input.name}' has rank ${shape.length} ([${shape.join(", ")}])`,
    );
  }
  shape.forEach((dim, i) => {
    if (i > 0 && typeof dim === "number" && dim !== array.shape[i]) {
      throw mismatch(
        `array '${array.name}' has shape [${array.shape.join(", ")}] but model input '${input.name}' needs [${shape.join(", ")}]`,
      );
    }
  });
}

/** Samples [start, start + count) of an array as a runtime tensor (a view, no copy). */
export function sliceSamples(array: NpyArray, start: number, count: number): RuntimeTensor {
  const perSample = array.shape.slice(1).reduce((a, b) => a * b, 1);
  const data = array.data.subarray(start * perSample, (start + count) * perSample) as RuntimeTensorData;
  return { type: array.dtype, dims: [count, ...array.shape.slice(1)], data };
}

/** [start, count] of every run over the set. */
export function getBatches(set: EvaluationSet): [number, number][] {
  const batches: [number, number][] = [];
  for (let start = 0; start < set.samples; start += set.batchSize) {
    batches.push([start, Math.min(set.batchSize, set.samples - start)]);
  }
  return batches;
}

export function getBatchFeeds(
  set: EvaluationSet,
  start: number,
  count: number,
): Record<string, RuntimeTensor> {
  const feeds: Record<string, RuntimeTensor> = {};
  for (const [name, array] of set.inputs) feeds[name] = sliceSamples(array, start, count);
  return feeds;
}
