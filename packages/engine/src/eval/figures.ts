/**
 * Measured figures: every number the evaluator reports carries its unit and how it was measured, so a
 * report never presents a modelled or synthetic-input figure as if it were something else.
 */

export interface Figure {
  value: number;
  /** 'bytes', 'ms', 'J', 'nats', 'fraction', 'MACs', … */
  unit: string;
  /** How the value was obtained (what was run, on which data, with which settings). */
  method: string;
  /** The value leaves out parts that could not be measured (the method says which); it gets no ratio. */
  partial?: true;
}

/** Figures of one model keyed by name, e.g. `sizeBytes`, `accuracy`, `latencyP50Ms_t1`. */
export type Figures = Record<string, Figure>;

/** Keys for the latency figures measured at `threads` intra-op threads. */
export function latencyKeys(threads: number) {
  return {
    p50: `latencyP50Ms_t${threads}`,
    p95: `latencyP95Ms_t${threads}`,
    cpu: `cpuMsPerInference_t${threads}`,
    energy: `energyJPerInference_t${threads}`,
    activeEnergy: `activeEnergyJPerInference_t${threads}`,
  } as const;
}

/**
 * Figures whose ratio to the baseline is meaningful (variant ÷ fp32). Fidelity figures (cosine, KL, …)
 * compare a variant with the baseline already, so they have no ratio.
 */
const RATIO_PREFIXES = [
  "sizeBytes",
  "params",
  "macs",
  "accuracy",
  "nllNats",
  "reconstructionMse",
  "latencyP50Ms_",
  "latencyP95Ms_",
  "cpuMsPerInference_",
  "energyJPerInference_",
  "activeEnergyJPerInference_",
  "peakRssDeltaBytes",
] as const;

export function hasRatio(key: string): boolean {
  return RATIO_PREFIXES.some((p) => (p.endsWith("_") ? key.startsWith(p) : key === p));
}

/** variant ÷ baseline for every ratio figure both have (baseline value > 0). */
export function computeRatios(variant: Figures, baseline: Figures): Record<string, number> {
  const ratios: Record<string, number> = {};
  for (const [key, figure] of Object.entries(variant)) {
    const base = baseline[key];
    if (!hasRatio(key) || !base || !(base.value > 0) || !Number.isFinite(figure.value)) continue;
    if (figure.partial || base.partial) continue;
    ratios[key] = figure.value / base.value;
  }
  return ratios;
}
