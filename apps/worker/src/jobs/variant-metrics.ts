/** What a model_variants row stores in `metrics`: every figure of the engine's evaluator and its ratios. */
import type { VariantMetrics } from "@edgewatt/db/schema";
import type { DroppedVariant, OptimizeResult, VariantResult } from "@edgewatt/engine";

export function createVariantMetrics(
  variant: Omit<VariantResult, "bytes"> | DroppedVariant,
  result: OptimizeResult,
  originalSizeBytes: number,
): VariantMetrics {
  const evaluation = result.data.evaluation;
  return {
    params: variant.params,
    macs: variant.macs,
    // The summary the portal shows; `figures` has everything, each with its unit and method.
    fidelity: variant.fidelity
      ? {
          cosine: variant.fidelity.cosine,
          maxAbsError: variant.fidelity.maxAbsError,
          samples: variant.fidelity.samples,
        }
      : null,
    latencyMsP50: variant.figures.latencyP50Ms_t1?.value ?? null,
    // Modelled per-inference energy at one thread (CPU time × the run's power profile); the agent's
    // scheduler ranks the ladder with it until it has measured the variant on its own device.
    energyJPerInference: variant.figures.energyJPerInference_t1?.value ?? null,
    sizeRatio: originalSizeBytes > 0 ? variant.sizeBytes / originalSizeBytes : null,
    figures: variant.figures,
    ratios: variant.ratios,
    inputs: evaluation ? (evaluation.synthetic ? "synthetic inputs" : (evaluation.label ?? "dataset")) : null,
    evaluationSamples: evaluation?.samples ?? null,
    threads: result.settings?.threads ?? null,
    powerProfile: result.settings?.profile.id ?? null,
    notes: variant.notes,
    runtime: result.runtime ?? null,
    ...("reason" in variant ? { dropped: variant.reason } : {}),
  };
}
