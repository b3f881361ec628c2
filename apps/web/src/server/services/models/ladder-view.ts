/**
 * The variant ladder as the portal charts it: per variant its quality, energy per inference and latency — each with
 * how it was measured — and whether it is on the Pareto front (no other ready variant is at least as good in
 * quality and at least as cheap, and better in one of the two).
 */
import type { Variant } from "@edgewatt/db";

export interface MeasuredFigure {
  value: number;
  unit: string;
  method: string;
}

export interface LadderPoint {
  variantId: string;
  name: string;
  status: Variant["status"];
  passes: string[];
  sizeBytes: number | null;
  /** Accuracy on labelled evaluation data when there was some, else fidelity to the original (cosine). */
  quality: (MeasuredFigure & { kind: "accuracy" | "fidelity" }) | null;
  energyJ: MeasuredFigure | null;
  latencyMs: MeasuredFigure | null;
  front: { energy: boolean; latency: boolean };
}

type Figures = Record<string, { value?: unknown; unit?: unknown; method?: unknown }>;

function figure(figures: Figures | undefined, key: string): MeasuredFigure | null {
  const f = figures?.[key];
  if (!f || typeof f.value !== "number" || !Number.isFinite(f.value)) return null;
  return {
    value: f.value,
    unit: typeof f.unit === "string" ? f.unit : "",
    method: typeof f.method === "string" ? f.method : "not recorded",
  };
}

function qualityOf(v: Variant, isBaseline: boolean): LadderPoint["quality"] {
  const figures = v.metrics.figures as Figures | undefined;
  const accuracy = figure(figures, "accuracy");
  if (accuracy) return { ...accuracy, kind: "accuracy" };
  if (isBaseline && v.status === "ready") {
    return {
      value: 1,
      unit: "cosine",
      method: "the original: the reference the others are compared with",
      kind: "fidelity",
    };
  }
  const fidelity = v.metrics.fidelity;
  if (fidelity && Number.isFinite(fidelity.cosine)) {
    const inputs = typeof v.metrics.inputs === "string" ? v.metrics.inputs : "the evaluation inputs";
    return {
      value: fidelity.cosine,
      unit: "cosine",
      method: `cosine similarity of the outputs to the original's over ${fidelity.samples} samples of ${inputs}`,
      kind: "fidelity",
    };
  }
  return null;
}

/** Whether `p` is dominated by another point (higher quality is better, lower cost is better). */
function dominated(p: { q: number; c: number }, others: Array<{ q: number; c: number }>): boolean {
  return others.some((o) => o !== p && o.q >= p.q && o.c <= p.c && (o.q > p.q || o.c < p.c));
}

export function createLadderView(variants: readonly Variant[]): LadderPoint[] {
  const baseline = variants.find((v) => v.passes.length === 0) ?? variants[0];
  const points: LadderPoint[] = variants.map((v) => {
    const figures = v.metrics.figures as Figures | undefined;
    return {
      variantId: v.id,
      name: v.name,
      status: v.status,
      passes: v.passes,
      sizeBytes: v.sizeBytes,
      quality: qualityOf(v, v === baseline),
      energyJ: figure(figures, "energyJPerInference_t1"),
      latencyMs: figure(figures, "latencyP50Ms_t1"),
      front: { energy: false, latency: false },
    };
  });
  // Accuracy and fidelity are not comparable: the front is drawn on the kind most ready variants have.
  const ready = points.filter((p) => p.status === "ready" && p.quality);
  const kind =
    ready.filter((p) => p.quality?.kind === "accuracy").length > ready.length / 2 ? "accuracy" : "fidelity";
  for (const axis of ["energy", "latency"] as const) {
    const candidates = ready
      .filter((p) => p.quality?.kind === kind)
      .map((p) => ({ p, q: p.quality?.value ?? 0, c: (axis === "energy" ? p.energyJ : p.latencyMs)?.value }))
      .filter((x): x is { p: LadderPoint; q: number; c: number } => typeof x.c === "number");
    for (const x of candidates) x.p.front[axis] = !dominated(x, candidates);
  }
  return points;
}
