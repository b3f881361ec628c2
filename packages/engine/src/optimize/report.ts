/**
 * report.json: one entry per variant (the baseline first) with every figure of the evaluator — each
 * `{ value, unit, method }` — and its ratios to the baseline, plus what was dropped, skipped or failed,
 * the data used and the environment the figures were measured in.
 */
import type { Figures } from "../eval/figures";
import type { DataInfo, OptimizeResult, VariantFailure, VariantResult } from "./result";

export const REPORT_SCHEMA_VERSION = 2;

export interface ReportVariant {
  name: string;
  passes: string[];
  /** File name in the output directory; null for the baseline (the input model) and dropped variants. */
  file: string | null;
  sha256: string;
  sizeBytes: number;
  params: number;
  macs: number;
  notes?: string[];
  figures: Figures;
  /** variant ÷ baseline (e.g. `sizeBytes: 0.27`, `latencyP50Ms_t1: 0.8`, `nllNats: 1.01`). */
  ratios: Record<string, number>;
}

export interface OptimizeReport {
  schemaVersion: number;
  tool: string;
  createdAt: string;
  model: { file: string | null; sizeBytes: number; sha256: string; matMulMacShare: number };
  recipe: string[];
  data: {
    calibration: (DataInfo & { file: string | null }) | null;
    evaluation: (DataInfo & { file: string | null }) | null;
  };
  environment: {
    runtime: string | null;
    cpuModel: string;
    availableParallelism: number;
    /** Intra-op thread counts latency was measured at. */
    threads: number[];
    /** Intra-op threads while collecting outputs for accuracy/fidelity. */
    evalThreads: number | null;
    latencyRuns: number | null;
    warmupRuns: number | null;
    powerProfile: {
      id: string;
      label: string;
      idleWatts: number;
      activeWattsPerCore: number;
      approximate: true;
      source: string;
    } | null;
  };
  /** Name of the baseline entry (first in `variants`). */
  baseline: string;
  variants: ReportVariant[];
  dropped: (ReportVariant & { reason: string })[];
  skipped: { name: string; passes: string[]; reason: string }[];
  failures: VariantFailure[];
}

export interface ReportContext {
  tool: string;
  recipe: readonly string[];
  model: { file: string | null; sizeBytes: number; sha256: string };
  /** File names of the data, when they came from files. */
  files?: { calibration?: string; evaluation?: string };
  cpuModel: string;
  availableParallelism: number;
}

function describe(v: Omit<VariantResult, "bytes">, file: string | null): ReportVariant {
  return {
    name: v.name,
    passes: v.passes,
    file,
    sha256: v.sha256,
    sizeBytes: v.sizeBytes,
    params: v.params,
    macs: v.macs,
    ...(v.notes.length ? { notes: v.notes } : {}),
    figures: v.figures,
    ratios: v.ratios,
  };
}

export function variantFileName(name: string): string {
  return `${name}.onnx`;
}

export function createOptimizeReport(result: OptimizeResult, context: ReportContext): OptimizeReport {
  const s = result.settings;
  const data = (info: DataInfo | undefined, file: string | undefined) =>
    info ? { ...info, file: file ?? null } : null;
  return {
    schemaVersion: REPORT_SCHEMA_VERSION,
    tool: context.tool,
    createdAt: new Date().toISOString(),
    model: { ...context.model, matMulMacShare: result.matMulShare },
    recipe: [...context.recipe],
    data: {
      calibration: data(result.data.calibration, context.files?.calibration),
      evaluation: data(result.data.evaluation, context.files?.evaluation),
    },
    environment: {
      runtime: result.runtime ?? null,
      cpuModel: context.cpuModel,
      availableParallelism: context.availableParallelism,
      threads: s?.threads ?? [],
      evalThreads: s?.evalThreads ?? null,
      latencyRuns: s?.latencyRuns ?? null,
      warmupRuns: s?.warmupRuns ?? null,
      powerProfile: s
        ? {
            id: s.profile.id,
            label: s.profile.label,
            idleWatts: s.profile.idleWatts,
            activeWattsPerCore: s.profile.activeWattsPerCore,
            approximate: true,
            source: s.profile.source,
          }
        : null,
    },
    baseline: result.baseline.name,
    variants: [
      describe(result.baseline, null),
      ...result.variants.map((v) => describe(v, variantFileName(v.name))),
    ],
    dropped: result.dropped.map((d) => ({ ...describe(d, null), reason: d.reason })),
    skipped: result.skipped,
    failures: result.failures,
  };
}
