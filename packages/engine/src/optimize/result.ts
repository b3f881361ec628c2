/** The shapes optimizeModel takes and returns (see variant.ts). */
import type { NpyArray } from "../data/npy";
import type { PowerProfile } from "../energy/power-profiles";
import type { EngineErrorCode } from "../errors";
import type { Fidelity } from "../eval/evaluate";
import type { Figures } from "../eval/figures";
import type { MemoryProbe } from "../eval/memory-probe";
import type { SkippedVariant } from "./ladder";

export interface OptimizeData {
  /** Arrays named after the model inputs (plus optional `labels`), e.g. from parseNpz. */
  arrays: ReadonlyMap<string, NpyArray>;
  /** Samples used; default all. */
  maxSamples?: number;
  /** Samples per run when the model's batch dim is dynamic; default 32. */
  batchSize?: number;
  /** Where the data came from, for reports (e.g. the file name). */
  label?: string;
  /** The arrays were synthesised from the input specs, not real data: every figure says 'synthetic inputs'. */
  synthetic?: boolean;
}

export interface OptimizeEvaluation extends OptimizeData {
  /** Timed batch-1 runs per variant and thread count (after the warm-up); default 100, 0 = skip latency. */
  latencyRuns?: number;
  /** Warm-up runs per session, excluded from timing; default 10. */
  warmupRuns?: number;
  /** Intra-op threads while collecting outputs; default 1. */
  intraOpThreads?: number;
  /** Intra-op thread counts latency is measured at, e.g. [1, os.availableParallelism()]; default [1]. */
  threads?: readonly number[];
  /** Power profile id for modelled energy; default generic-x86. */
  profile?: string;
  /** Force (true) or suppress (false) reconstruction metrics; default: when output shape == input shape. */
  reconstruction?: boolean;
  /** Peak memory in a fresh process per model (createSubprocessMemoryProbe); default: in-process RSS delta. */
  memoryProbe?: MemoryProbe;
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
  /** Every measured figure, each with its unit and method (static figures always; the rest with data). */
  figures: Figures;
  /** variant ÷ baseline for the figures where that is meaningful (empty for the baseline). */
  ratios: Record<string, number>;
  /** Outputs compared with the baseline's on the evaluation set (variants only). */
  fidelity?: Fidelity;
  /** Argmax accuracy against the evaluation set's `labels`, when it has them. */
  accuracy?: number;
}

/** A ladder variant that was built and measured, then dropped by the keep-or-drop rule. */
export interface DroppedVariant extends Omit<VariantResult, "bytes"> {
  reason: string;
}

export interface VariantFailure {
  name: string;
  /** The pass that failed, or 'validate' / 'evaluate' / 'measure-latency'. */
  pass: string;
  code: EngineErrorCode | "INTERNAL";
  error: string;
}

export interface DataInfo {
  label?: string;
  samples: number;
  synthetic: boolean;
}

export interface OptimizeResult {
  baseline: VariantResult;
  variants: VariantResult[];
  failures: VariantFailure[];
  dropped: DroppedVariant[];
  /** Ladder rungs not built for this model, with the reason. */
  skipped: SkippedVariant[];
  /** Share of the original's MACs in MatMul/Gemm (decides the int4 rung). */
  matMulShare: number;
  /** Runtime used for checks and measurements. */
  runtime?: string;
  /** Evaluation samples each variant was compared on. */
  samples?: number;
  data: { calibration?: DataInfo; evaluation?: DataInfo };
  /** Measurement settings, when variants were measured. */
  settings?: {
    threads: number[];
    evalThreads: number;
    latencyRuns: number;
    warmupRuns: number;
    profile: PowerProfile;
  };
}
