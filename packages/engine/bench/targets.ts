/** The targets for the quantized ladder, evaluated on a benchmark result. */

export interface BenchVariant {
  status: "kept" | "dropped";
  figures: Record<string, number>;
  ratios: Record<string, number>;
}

export interface BenchModel {
  baseline: string;
  variants: Record<string, BenchVariant>;
}

interface TargetSpec {
  model: string;
  variant: string;
  metric: string;
  /** ≤ limit ('max') or ≥ limit ('min'). */
  bound: "max" | "min";
  limit: number;
  measure(variant: BenchVariant, baseline: BenchVariant): number | undefined;
}

export interface TargetResult {
  model: string;
  variant: string;
  metric: string;
  target: string;
  measured: number | null;
  met: boolean;
  /** 'kept', 'dropped' (measured, but dropped by the ladder rule), or why nothing was measured. */
  variantStatus: string;
}

const ratio = (key: string) => (v: BenchVariant) => v.ratios[key];

export const TARGETS: readonly TargetSpec[] = [
  {
    model: "cifar10-resnet14",
    variant: "int8-static",
    metric: "top-1 accuracy drop (percentage points)",
    bound: "max",
    limit: 0.5,
    measure: (v, b) =>
      v.figures.accuracy === undefined || b.figures.accuracy === undefined
        ? undefined
        : (b.figures.accuracy - v.figures.accuracy) * 100,
  },
  {
    model: "cifar10-resnet14",
    variant: "int8-static",
    metric: "size ratio",
    bound: "max",
    limit: 0.3,
    measure: ratio("sizeBytes"),
  },
  {
    model: "cifar10-resnet14",
    variant: "int8-static",
    metric: "1-thread p50 latency ratio",
    bound: "max",
    limit: 0.8,
    measure: ratio("latencyP50Ms_t1"),
  },
  {
    model: "sensor-gpt",
    variant: "int8-dynamic",
    metric: "mean NLL ratio",
    bound: "max",
    limit: 1.02,
    measure: ratio("nllNats"),
  },
  {
    model: "sensor-gpt",
    variant: "int8-dynamic",
    metric: "size ratio",
    bound: "max",
    limit: 0.35,
    measure: ratio("sizeBytes"),
  },
  {
    model: "sensor-gpt",
    variant: "int4",
    metric: "mean NLL ratio",
    bound: "max",
    limit: 1.05,
    measure: ratio("nllNats"),
  },
  {
    model: "sensor-gpt",
    variant: "int4",
    metric: "size ratio",
    bound: "max",
    limit: 0.25,
    measure: ratio("sizeBytes"),
  },
  {
    model: "nab-conv-autoencoder",
    variant: "int8-static",
    metric: "reconstruction MSE ratio",
    bound: "max",
    limit: 1.05,
    measure: ratio("reconstructionMse"),
  },
  {
    model: "nab-conv-autoencoder",
    variant: "int8-static",
    metric: "Spearman ρ of per-sample reconstruction error",
    bound: "min",
    limit: 0.98,
    measure: (v) => v.figures.spearmanRho,
  },
];

export function evaluateTargets(
  models: Record<string, BenchModel>,
  failures: Record<string, Record<string, string>>,
): TargetResult[] {
  return TARGETS.map((t) => {
    const target = `${t.bound === "max" ? "≤" : "≥"} ${t.limit}`;
    const model = models[t.model];
    const variant = model?.variants[t.variant];
    const baseline = model?.variants[model.baseline];
    const base = { model: t.model, variant: t.variant, metric: t.metric, target };
    if (!model || !variant || !baseline) {
      const why = !model ? "model not benchmarked" : (failures[t.model]?.[t.variant] ?? "variant not built");
      return { ...base, measured: null, met: false, variantStatus: why };
    }
    const measured = t.measure(variant, baseline);
    if (measured === undefined || !Number.isFinite(measured)) {
      return { ...base, measured: null, met: false, variantStatus: `${variant.status}; figure not measured` };
    }
    const met = t.bound === "max" ? measured <= t.limit : measured >= t.limit;
    return { ...base, measured, met, variantStatus: variant.status };
  });
}
