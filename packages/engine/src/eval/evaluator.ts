/**
 * The evaluator: every figure of a model variant against its original on the same data — size, params,
 * MACs, task and fidelity figures (see fidelity-figures.ts), latency p50/p95 at each requested intra-op
 * thread count, process CPU time and modelled energy per inference, and process RSS delta — each
 * labelled with how it was measured. Latency of several models is measured side by side (interleaved).
 */
import { splitModelEnergy } from "../energy/model-energy";
import { getPowerProfile, type PowerProfile } from "../energy/power-profiles";
import { parseModel } from "../onnx/codec";
import { inspectModel } from "../onnx/inspect";
import type { OnnxModel } from "../onnx/model";
import type { Runtime, RuntimeTensor } from "../types";
import { type EvaluationSet, getBatchFeeds } from "./dataset";
import { type CollectedOutputs, collectOutputs } from "./evaluate";
import { computeOutputFigures } from "./fidelity-figures";
import { computeRatios, type Figures, latencyKeys } from "./figures";
import { measureLatencySideBySide } from "./latency";
import type { MemoryProbe } from "./memory-probe";

export const DEFAULT_POWER_PROFILE = "generic-x86";

export interface EvaluatorOptions {
  runtime: Runtime;
  set: EvaluationSet;
  /** Describes the data in every method, e.g. '2000 samples of eval.npz' or '64 synthetic inputs …'. */
  dataLabel: string;
  /** Intra-op thread counts to time at, e.g. [1, os.availableParallelism()]; default [1]. */
  threads?: readonly number[];
  /** Timed runs per model and thread count (after warm-up); default 100, 0 = no latency figures. */
  latencyRuns?: number;
  /** Warm-up runs per session, excluded from timing; default 10. */
  warmupRuns?: number;
  /** Intra-op threads while collecting outputs for fidelity; default 1. */
  evalThreads?: number;
  /** Power profile id for the modelled energy (see energy/power-profiles); default generic-x86. */
  profile?: string;
  /** Force (true) or suppress (false) reconstruction metrics; default: when output shape == input shape. */
  reconstruction?: boolean;
  /**
   * Measures peak memory in a fresh process (createSubprocessMemoryProbe); without one, or if it fails, the
   * figure is the RSS delta of this process, which memory freed by earlier work can hide.
   */
  memoryProbe?: MemoryProbe;
}

/** Size, parameters and MACs, from the serialized size and the engine's inspector. */
export function describeModelFigures(model: OnnxModel, sizeBytes: number): Figures {
  const summary = inspectModel(model, { sizeBytes });
  const unknown = summary.macsUnknownNodes
    ? ` (${summary.macsUnknownNodes} node(s) with unresolved shapes not counted)`
    : "";
  return {
    sizeBytes: { value: sizeBytes, unit: "bytes", method: "size of the serialized .onnx file" },
    params: { value: summary.params, unit: "elements", method: "elements in all initializers" },
    macs: {
      value: summary.macs,
      unit: "MACs",
      method: `inspectModel: multiply-accumulates of Conv/ConvTranspose/Gemm/MatMul and their quantized and contrib forms per inference at batch 1, from shape inference${unknown}`,
      ...(summary.macsUnknownNodes ? { partial: true as const } : {}),
    },
  };
}

/** Runs the model over the whole set and returns its outputs. */
export async function collectModelOutputs(
  runtime: Runtime,
  bytes: Uint8Array,
  set: EvaluationSet,
  threads = 1,
): Promise<CollectedOutputs> {
  const session = await runtime.createSession(bytes, { intraOpThreads: threads });
  try {
    return await collectOutputs(session, set);
  } finally {
    await session.release();
  }
}

function resolveProfile(id: string | undefined): PowerProfile {
  return getPowerProfile(id ?? DEFAULT_POWER_PROFILE);
}

/**
 * Latency, CPU time, modelled energy and RSS figures of several models, measured side by side for each
 * thread count (all sessions loaded, runs interleaved). Keyed by `models[].key`.
 */
export async function measurePerformanceFigures(
  options: Omit<EvaluatorOptions, "evalThreads" | "reconstruction"> & {
    models: readonly { key: string; bytes: Uint8Array }[];
  },
): Promise<Map<string, Figures>> {
  const { runtime, set, models, dataLabel } = options;
  const result = new Map<string, Figures>(models.map((m) => [m.key, {}]));
  const runs = options.latencyRuns ?? 100;
  if (runs <= 0 || models.length === 0) return result;
  const profile = resolveProfile(options.profile);
  const warmup = options.warmupRuns ?? 10;
  const batch = set.fixedBatch ?? 1;
  const feeds = getBatchFeeds(set, 0, batch);
  const threadCounts = [...new Set(options.threads?.length ? options.threads : [1])];
  for (const [index, threads] of threadCounts.entries()) {
    const stats = await measureLatencySideBySide({
      runtime,
      models,
      feeds,
      runs,
      warmupRuns: warmup,
      intraOpThreads: threads,
    });
    const how =
      `${runs} timed runs at batch ${batch}, ${threads} intra-op thread(s), ${warmup} warm-up runs excluded, ` +
      `interleaved with the other models measured, ${runtime.name}; input: sample 0 of ${dataLabel}`;
    const keys = latencyKeys(threads);
    for (const model of models) {
      const s = stats.get(model.key);
      const figures = result.get(model.key);
      if (!s || !figures) continue;
      const energy = splitModelEnergy({
        cpuSeconds: s.cpuMsPerRun / 1000,
        wallSeconds: s.meanMs / 1000,
        profile,
      });
      figures[keys.p50] = { value: s.p50Ms, unit: "ms", method: `median wall time per call; ${how}` };
      figures[keys.p95] = {
        value: s.p95Ms,
        unit: "ms",
        method: `95th percentile wall time per call; ${how}`,
      };
      figures[keys.cpu] = {
        value: s.cpuMsPerRun,
        unit: "ms",
        method: `process CPU time (process.cpuUsage user + system, all threads) over the timed runs ÷ runs; ${how}`,
      };
      const model_ = `modelled, not measured: power profile ${profile.id} (approximate`;
      figures[keys.energy] = {
        value: energy.totalJoules,
        unit: "J",
        method: `${model_}: CPU time per inference × ${profile.activeWattsPerCore} W per busy core + ${profile.idleWatts} W idle × mean wall time per inference), the agent's 'model' meter formula; ${how}`,
      };
      figures[keys.activeEnergy] = {
        value: energy.activeJoules,
        unit: "J",
        method: `${model_}: CPU time per inference × ${profile.activeWattsPerCore} W per busy core, idle power excluded); ${how}`,
      };
      if (index === 0) {
        figures.peakRssDeltaBytes = {
          value: s.rssDeltaBytes,
          unit: "bytes",
          method: `process RSS delta: highest process.memoryUsage.rss() sampled after creating the session and after each warm-up run, minus RSS just before creating it (${threads} intra-op thread(s); other sessions stay loaded, and memory the allocator reuses is not seen)`,
        };
      }
    }
    if (index === 0 && options.memoryProbe) {
      await probeMemory(options.memoryProbe, models, feeds, threads, warmup, result);
    }
  }
  return result;
}

/** Replaces the in-process RSS figure with the probe's, keeping the former (and why) if the probe fails. */
async function probeMemory(
  probe: MemoryProbe,
  models: readonly { key: string; bytes: Uint8Array }[],
  feeds: Record<string, RuntimeTensor>,
  threads: number,
  warmup: number,
  result: Map<string, Figures>,
): Promise<void> {
  const runs = Math.max(1, warmup);
  for (const model of models) {
    const figures = result.get(model.key);
    if (!figures) continue;
    try {
      const value = await probe.measure(model.bytes, feeds, { threads, runs });
      figures.peakRssDeltaBytes = {
        value,
        unit: "bytes",
        method: `${probe.method}; ${threads} intra-op thread(s), ${runs} run(s) at the latency input`,
      };
    } catch (error) {
      const figure = figures.peakRssDeltaBytes;
      if (figure)
        figure.method = `${figure.method} (the fresh-process probe failed: ${(error as Error).message})`;
    }
  }
}

export interface VariantEvaluation {
  original: Figures;
  variant: Figures;
  /** variant ÷ original for size, MACs, task figures, latency, CPU time, energy and memory. */
  ratios: Record<string, number>;
}

/** Every figure of one variant against its original on the same data. */
export async function evaluateVariant(
  options: EvaluatorOptions & { original: Uint8Array; variant: Uint8Array },
): Promise<VariantEvaluation> {
  const { runtime, set, dataLabel } = options;
  const threads = options.evalThreads ?? 1;
  const originalOutputs = await collectModelOutputs(runtime, options.original, set, threads);
  const variantOutputs = await collectModelOutputs(runtime, options.variant, set, threads);
  const common = {
    dataLabel,
    ...(options.reconstruction !== undefined ? { reconstruction: options.reconstruction } : {}),
  };
  const original: Figures = {
    ...describeModelFigures(parseModel(options.original), options.original.byteLength),
    ...computeOutputFigures(originalOutputs, set, common),
  };
  const variant: Figures = {
    ...describeModelFigures(parseModel(options.variant), options.variant.byteLength),
    ...computeOutputFigures(variantOutputs, set, { ...common, reference: originalOutputs }),
  };
  const performance = await measurePerformanceFigures({
    ...options,
    models: [
      { key: "original", bytes: options.original },
      { key: "variant", bytes: options.variant },
    ],
  });
  Object.assign(original, performance.get("original"));
  Object.assign(variant, performance.get("variant"));
  return { original, variant, ratios: computeRatios(variant, original) };
}
