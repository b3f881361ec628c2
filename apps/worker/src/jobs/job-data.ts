/**
 * Data for an optimization job: the model's uploaded calibration / evaluation data (.npz) when it has some, else
 * a small set synthesised from the model's input specs (the engine's createSyntheticArrays: floats standard
 * normal, token ids uniform over what the model accepts). Every figure measured on synthetic data is labelled
 * `synthetic inputs` — it says how the variant behaves, not how accurate it is on real data. Calibration without
 * its own data uses the evaluation data when there is some.
 */
import { availableParallelism } from "node:os";
import {
  createSubprocessMemoryProbe,
  createSyntheticArrays,
  describeSyntheticArrays,
  isEngineError,
  type NpyArray,
  type OptimizeModelOptions,
  parseModel,
} from "@edgewatt/engine";

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
