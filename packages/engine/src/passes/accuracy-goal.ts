/**
 * The measuring side of the accuracy-aware pass: runs a candidate model on the evaluation set and
 * scores it against the float reference — accuracy drop in points (when the set has labels) and
 * fidelity loss (1 − mean per-sample cosine of the outputs, worst output) — and says whether a goal is
 * met. Every candidate is one "evaluation"; identical models (same bytes) are measured once.
 */
import { createHash } from "node:crypto";
import { PassError } from "../errors";
import type { EvaluationSet } from "../eval/dataset";
import {
  type CollectedOutputs,
  collectOutputs,
  compareOutputs,
  computeLabelAccuracy,
} from "../eval/evaluate";
import { serializeModel } from "../onnx/codec";
import type { OnnxModel } from "../onnx/model";
import type { Runtime } from "../types";

export interface AccuracyGoal {
  /** Largest accepted drop of top-1 accuracy against the labels, in percentage points (e.g. 1 = 1 point). */
  maxAccuracyDrop?: number;
  /** Largest accepted 1 − mean cosine similarity between the variant's and the float model's outputs. */
  maxFidelityLoss?: number;
}

export interface Measurement {
  /** Top-1 accuracy (0–1) when the set has labels. */
  accuracy?: number;
  /** (reference accuracy − accuracy) × 100, when the set has labels. */
  accuracyDrop?: number;
  fidelityLoss: number;
  sizeBytes: number;
}

export interface ResolvedGoal {
  maxAccuracyDrop?: number;
  maxFidelityLoss?: number;
  describe(): string;
}

/** Goal with defaults: 1 accuracy point when there are labels, else fidelity loss 0.001 (cosine ≥ 0.999). */
export function resolveGoal(goal: AccuracyGoal | undefined, hasLabels: boolean): ResolvedGoal {
  for (const [key, value] of Object.entries(goal ?? {})) {
    if (value !== undefined && !(typeof value === "number" && Number.isFinite(value) && value >= 0)) {
      throw new PassError(
        "PASS_OPTIONS_INVALID",
        `accuracy-aware goal.${key} must be a number ≥ 0, got ${String(value)}`,
      );
    }
  }
  const resolved: { maxAccuracyDrop?: number; maxFidelityLoss?: number } = {};
  if (goal?.maxAccuracyDrop !== undefined) {
    if (!hasLabels && goal.maxFidelityLoss === undefined) {
      throw new PassError(
        "PASS_NEEDS_DATA",
        "accuracy-aware goal.maxAccuracyDrop needs labels in the evaluation data (an array named 'labels'); " +
          "add them, or set goal.maxFidelityLoss instead",
      );
    }
    if (hasLabels) resolved.maxAccuracyDrop = goal.maxAccuracyDrop;
  }
  if (goal?.maxFidelityLoss !== undefined) resolved.maxFidelityLoss = goal.maxFidelityLoss;
  if (resolved.maxAccuracyDrop === undefined && resolved.maxFidelityLoss === undefined) {
    if (hasLabels) resolved.maxAccuracyDrop = 1;
    else resolved.maxFidelityLoss = 0.001;
  }
  return {
    ...resolved,
    describe: () =>
      [
        resolved.maxAccuracyDrop !== undefined ? `accuracy drop ≤ ${resolved.maxAccuracyDrop} point(s)` : "",
        resolved.maxFidelityLoss !== undefined
          ? `fidelity loss (1 − cosine) ≤ ${resolved.maxFidelityLoss}`
          : "",
      ]
        .filter(Boolean)
        .join(" and "),
  };
}

/** How far a measurement is from the goal: ≤ 1 means met (the worst of the ratios value / limit). */
export function goalRatio(m: Measurement, goal: ResolvedGoal): number {
  const ratio = (value: number, limit: number) => (limit > 0 ? value / limit : value > 1e-12 ? Infinity : 0);
  let worst = 0;
  if (goal.maxAccuracyDrop !== undefined)
    worst = Math.max(worst, ratio(m.accuracyDrop ?? 0, goal.maxAccuracyDrop));
  if (goal.maxFidelityLoss !== undefined)
    worst = Math.max(worst, ratio(m.fidelityLoss, goal.maxFidelityLoss));
  return worst;
}

export function describeMeasurement(m: Measurement): string {
  const parts: string[] = [];
  if (m.accuracy !== undefined) {
    parts.push(
      `accuracy ${(m.accuracy * 100).toFixed(2)}% (drop ${(m.accuracyDrop ?? 0).toFixed(2)} points)`,
    );
  }
  parts.push(`fidelity loss ${m.fidelityLoss.toExponential(2)}`);
  parts.push(`${(m.sizeBytes / 1024).toFixed(1)} KiB`);
  return parts.join(", ");
}

/** A set limited to its first `maxSamples` samples (whole batches when the batch dim is fixed). */
export function limitSamples(set: EvaluationSet, maxSamples: number): EvaluationSet {
  let samples = Math.min(set.samples, Math.max(1, maxSamples));
  if (set.fixedBatch) samples = Math.max(set.fixedBatch, samples - (samples % set.fixedBatch));
  return { ...set, samples: Math.min(samples, set.samples) };
}

export class Evaluator {
  /** Candidate evaluations run so far (cache hits excluded). */
  evaluations = 0;
  private readonly cache = new Map<string, Measurement>();
  private reference?: { outputs: CollectedOutputs; accuracy?: number };

  constructor(
    private readonly runtime: Runtime,
    private readonly set: EvaluationSet,
  ) {}

  private async outputsOf(bytes: Uint8Array): Promise<CollectedOutputs> {
    const session = await this.runtime.createSession(bytes, { intraOpThreads: 1 });
    try {
      return await collectOutputs(session, this.set);
    } finally {
      await session.release();
    }
  }

  /** Runs the float model once; returns its label accuracy when the set has labels. */
  async setReference(model: OnnxModel): Promise<number | undefined> {
    const outputs = await this.outputsOf(serializeModel(model));
    const accuracy = computeLabelAccuracy(outputs, this.set);
    this.reference = { outputs, ...(accuracy !== undefined ? { accuracy } : {}) };
    return accuracy;
  }

  get hasLabels(): boolean {
    return this.set.labels !== undefined;
  }

  async measure(model: OnnxModel): Promise<Measurement> {
    const reference = this.reference;
    if (!reference) throw new Error("Evaluator.setReference must run first");
    const bytes = serializeModel(model);
    const key = createHash("sha256").update(bytes).digest("hex");
    const cached = this.cache.get(key);
    if (cached) return cached;
    this.evaluations++;
    const outputs = await this.outputsOf(bytes);
    const fidelity = compareOutputs(reference.outputs, outputs, this.set);
    const accuracy = computeLabelAccuracy(outputs, this.set);
    const m: Measurement = { fidelityLoss: Math.max(0, 1 - fidelity.cosine), sizeBytes: bytes.byteLength };
    if (accuracy !== undefined && reference.accuracy !== undefined) {
      m.accuracy = accuracy;
      m.accuracyDrop = (reference.accuracy - accuracy) * 100;
    }
    this.cache.set(key, m);
    return m;
  }
}
