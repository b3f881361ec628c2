/**
 * Data for an optimization job: the model's uploaded calibration / evaluation data (.npz) when it has some, else
 * a small set synthesised from the model's input specs (the engine's createSyntheticArrays: floats standard
 * normal, token ids uniform over what the model accepts). Every figure measured on synthetic data is labelled
 * `synthetic inputs` — it says how the variant behaves, not how accurate it is on real data. Calibration without
 * its own data uses the evaluation data when there is some.
 */
import { createHash } from "node:crypto";
import { availableParallelism } from "node:os";
import type { Model } from "@edgewatt/db";
import {
  createSubprocessMemoryProbe,
  createSyntheticArrays,
  describeSyntheticArrays,
  isEngineError,
  type NpyArray,
  type OptimizeModelOptions,
  parseModel,
  parseNpz,
} from "@edgewatt/engine";
import type { ObjectStore } from "@nats-io/obj";
import { WorkerError } from "../errors";

/** Uploaded arrays (parsed .npz) and where they came from. */
export interface RealData {
  arrays: ReadonlyMap<string, NpyArray>;
  label: string;
}

/** Samples in each synthesised set (calibration and evaluation use different seeds). */
export const SYNTHETIC_SAMPLES = 64;
/** Timed batch-1 runs per variant and thread count; small, so jobs stay quick. */
export const JOB_LATENCY_RUNS = 50;
export const JOB_WARMUP_RUNS = 5;
export const JOB_POWER_PROFILE = "generic-x86";
/** Uploaded sets are used up to this many samples (jobs stay minutes, not hours). */
export const UPLOADED_MAX_SAMPLES = 512;

export interface JobData {
  options: Pick<OptimizeModelOptions, "calibration" | "evaluation">;
  /** Why no data could be made (the job then only checks that variants load). */
  unavailable?: string;
}

/** Calibration and evaluation sets for the model; a corrupt model throws the engine's error. */
export function createJobData(
  bytes: Uint8Array,
  uploaded: { calibration?: RealData; evaluation?: RealData } = {},
): JobData {
  const model = parseModel(bytes);
  try {
    type DataSet = {
      arrays: ReadonlyMap<string, NpyArray>;
      synthetic: boolean;
      label: string;
      maxSamples?: number;
    };
    let calibration: DataSet;
    let evaluation: DataSet;
    if (uploaded.evaluation) {
      evaluation = { ...uploaded.evaluation, synthetic: false, maxSamples: UPLOADED_MAX_SAMPLES };
    } else {
      const arrays = createSyntheticArrays(model, { samples: SYNTHETIC_SAMPLES, seed: 2 });
      evaluation = {
        arrays,
        synthetic: true,
        label: `synthetic inputs (${describeSyntheticArrays(model, arrays)})`,
      };
    }
    if (uploaded.calibration) {
      calibration = { ...uploaded.calibration, synthetic: false, maxSamples: UPLOADED_MAX_SAMPLES };
    } else if (uploaded.evaluation) calibration = evaluation;
    else {
      const arrays = createSyntheticArrays(model, { samples: SYNTHETIC_SAMPLES, seed: 1 });
      calibration = {
        arrays,
        synthetic: true,
        label: `synthetic inputs (${describeSyntheticArrays(model, arrays)})`,
      };
    }
    return {
      options: {
        calibration,
        evaluation: {
          ...evaluation,
          threads: [...new Set([1, availableParallelism()])],
          latencyRuns: JOB_LATENCY_RUNS,
          warmupRuns: JOB_WARMUP_RUNS,
          profile: JOB_POWER_PROFILE,
          // Peak memory per variant in a fresh process: this one runs other jobs and ingestion too.
          memoryProbe: createSubprocessMemoryProbe({ runtimeModule: "onnxruntime-node" }),
        },
      },
    };
  } catch (err) {
    if (!isEngineError(err)) throw err;
    return { options: {}, unavailable: err.message };
  }
}

/** The model's uploaded calibration / evaluation data, fetched and checked against the sha256 of its upload. */
export async function loadUploadedData(
  store: ObjectStore,
  model: Pick<Model, "datasets">,
): Promise<{ calibration?: RealData; evaluation?: RealData }> {
  const uploaded: { calibration?: RealData; evaluation?: RealData } = {};
  for (const kind of ["calibration", "evaluation"] as const) {
    const dataset = model.datasets[kind];
    if (!dataset) continue;
    const blob = await store.getBlob(dataset.objectName);
    if (!blob) {
      throw new WorkerError(
        "MODEL_OBJECT_MISSING",
        `the model's ${kind} data ${dataset.fileName} is missing from the object store; upload it again`,
      );
    }
    if (createHash("sha256").update(blob).digest("hex") !== dataset.sha256) {
      throw new WorkerError(
        "SHA256_MISMATCH",
        `the model's ${kind} data ${dataset.fileName} does not match the sha256 recorded at upload; upload it again`,
      );
    }
    uploaded[kind] = { arrays: parseNpz(blob), label: `${dataset.fileName} (uploaded ${kind} data)` };
  }
  return uploaded;
}
