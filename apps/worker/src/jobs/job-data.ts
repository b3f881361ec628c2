/**
 * Data for an optimization job. Uploads carry no calibration or evaluation data yet, so the worker
 * synthesises a small set from the model's input specs (the engine's createSyntheticArrays: floats
 * standard normal, token ids uniform over what the model accepts). Every figure measured on it is
 * labelled `synthetic inputs` — it says how the variant behaves, not how accurate it is on real data.
 */
import { availableParallelism } from "node:os";
import {
  createSubprocessMemoryProbe,
  createSyntheticArrays,
  describeSyntheticArrays,
  isEngineError,
  type OptimizeModelOptions,
  parseModel,
} from "@edgewatt/engine";

/** Samples in each synthesised set (calibration and evaluation use different seeds). */
export const SYNTHETIC_SAMPLES = 64;
/** Timed batch-1 runs per variant and thread count; small, so jobs stay quick. */
export const JOB_LATENCY_RUNS = 50;
export const JOB_WARMUP_RUNS = 5;
export const JOB_POWER_PROFILE = "generic-x86";

export interface JobData {
  options: Pick<OptimizeModelOptions, "calibration" | "evaluation">;
  /** Why no data could be made (the job then only checks that variants load). */
  unavailable?: string;
}

/** Synthetic calibration and evaluation sets for the model; a corrupt model throws the engine's error. */
export function createJobData(bytes: Uint8Array): JobData {
  const model = parseModel(bytes);
  try {
    const calibration = createSyntheticArrays(model, { samples: SYNTHETIC_SAMPLES, seed: 1 });
    const evaluation = createSyntheticArrays(model, { samples: SYNTHETIC_SAMPLES, seed: 2 });
    const label = `synthetic inputs (${describeSyntheticArrays(model, evaluation)})`;
    return {
      options: {
        calibration: { arrays: calibration, synthetic: true, label },
        evaluation: {
          arrays: evaluation,
          synthetic: true,
          label,
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
