/** Running models on an evaluation set through a Runtime: output fidelity against a reference, and latency. */
import { EvaluationError } from "../errors";
import type { RuntimeSession, RuntimeTensor } from "../types";
import { type EvaluationSet, getBatches, getBatchFeeds } from "./dataset";
import { agreement, argmaxLastAxis, cosineSimilarity, maxAbsError, meanAbsError } from "./metrics";

export { type LatencyStats, type MeasureLatencyOptions, measureLatency } from "./latency";

/** All outputs of a model over an evaluation set, concatenated along the sample axis. */
export type CollectedOutputs = Map<string, { sampleDims: number[]; data: Float64Array }>;

export interface OutputFidelity {
  output: string;
  /** Mean over samples of the per-sample cosine similarity. */
  cosine: number;
  minCosine: number;
  maxAbsError: number;
  meanAbsError: number;
  /** Share of positions where argmax over the last axis matches the reference (last axis > 1 only). */
  top1Agreement?: number;
}

export interface Fidelity {
  samples: number;
  outputs: OutputFidelity[];
  /** Worst (lowest) mean cosine over outputs. */
  cosine: number;
  minCosine: number;
  maxAbsError: number;
  /** Of the first output. */
  top1Agreement?: number;
}

/** IEEE 754 half-precision bits → number. */
function halfToNumber(bits: number): number {
  const sign = bits & 0x8000 ? -1 : 1;
  const exponent = (bits >> 10) & 0x1f;
  const fraction = bits & 0x3ff;
  if (exponent === 0) return sign * 2 ** -14 * (fraction / 1024);
  if (exponent === 0x1f) return fraction ? Number.NaN : sign * Number.POSITIVE_INFINITY;
  return sign * 2 ** (exponent - 15) * (1 + fraction / 1024);
}

function toFloat64(tensor: RuntimeTensor): Float64Array {
  if (tensor.type === "float16" && tensor.data instanceof Uint16Array) {
    return Float64Array.from(tensor.data, halfToNumber);
  }
  if (tensor.data instanceof BigInt64Array || tensor.data instanceof BigUint64Array) {
    return Float64Array.from(tensor.data, Number);
  }
  return Float64Array.from(tensor.data as ArrayLike<number>);
}

export async function collectOutputs(session: RuntimeSession, set: EvaluationSet): Promise<CollectedOutputs> {
  const chunks = new Map<string, { sampleDims: number[]; parts: Float64Array[] }>();
  for (const [start, count] of getBatches(set)) {
    const outputs = await session.run(getBatchFeeds(set, start, count));
    for (const name of session.outputNames) {
      const tensor = outputs[name];
      if (!tensor) throw new EvaluationError("RUNTIME_FAILED", `the runtime returned no output '${name}'`);
      if (tensor.dims[0] !== count) {
        throw new EvaluationError(
          "DATA_MISMATCH",
          `output '${name}' has no leading batch axis (dims [${tensor.dims.join(", ")}])`,
        );
      }
      const entry = chunks.get(name) ?? { sampleDims: tensor.dims.slice(1), parts: [] };
      entry.parts.push(toFloat64(tensor));
      chunks.set(name, entry);
    }
  }
  const collected: CollectedOutputs = new Map();
  for (const [name, { sampleDims, parts }] of chunks) {
    const data = new Float64Array(parts.reduce((n, p) => n + p.length, 0));
    let offset = 0;
    for (const part of parts) {
      data.set(part, offset);
      offset += part.length;
    }
    collected.set(name, { sampleDims, data });
  }
  return collected;
}

export function compareOutputs(
  reference: CollectedOutputs,
  candidate: CollectedOutputs,
  set: EvaluationSet,
): Fidelity {
  const outputs: OutputFidelity[] = [];
  for (const [name, ref] of reference) {
    const cand = candidate.get(name);
    if (!cand || cand.data.length !== ref.data.length) {
      throw new EvaluationError(
        "DATA_MISMATCH",
        `output '${name}' differs in size between the reference and the variant`,
      );
    }
    const perSample = ref.data.length / set.samples;
    let sum = 0;
    let min = 1;
    for (let s = 0; s < set.samples; s++) {
      const c = cosineSimilarity(ref.data, cand.data, s * perSample, (s + 1) * perSample);
      sum += c;
      min = Math.min(min, c);
    }
    const entry: OutputFidelity = {
      output: name,
      cosine: sum / set.samples,
      minCosine: min,
      maxAbsError: maxAbsError(ref.data, cand.data),
      meanAbsError: meanAbsError(ref.data, cand.data),
    };
    const classes = ref.sampleDims[ref.sampleDims.length - 1] ?? 1;
    if (classes > 1) {
      const refTop = argmaxLastAxis(ref.data, classes);
      const candTop = argmaxLastAxis(cand.data, classes);
      entry.top1Agreement = agreement(refTop, candTop);
    }
    outputs.push(entry);
  }
  const first = outputs[0];
  return {
    samples: set.samples,
    outputs,
    cosine: Math.min(...outputs.map((o) => o.cosine)),
    minCosine: Math.min(...outputs.map((o) => o.minCosine)),
    maxAbsError: Math.max(...outputs.map((o) => o.maxAbsError)),
    ...(first?.top1Agreement !== undefined ? { top1Agreement: first.top1Agreement } : {}),
  };
}

/**
 * Argmax (last axis) accuracy of the first output against the set's `labels`, when the labels have one
 * entry per argmax position (e.g. labels [N] for logits [N, C], labels [N, T] for logits [N, T, V]).
 */
export function computeLabelAccuracy(outputs: CollectedOutputs, set: EvaluationSet): number | undefined {
  const first = outputs.values().next().value;
  const labels = set.labels;
  if (!first || !labels) return undefined;
  const classes = first.sampleDims[first.sampleDims.length - 1] ?? 1;
  const predictions = argmaxLastAxis(first.data, classes);
  const perSample = labels.shape.slice(1).reduce((a, b) => a * b, 1);
  if (classes < 2 || predictions.length !== perSample * set.samples) return undefined;
  return agreement(predictions, labels.data.subarray(0, predictions.length) as ArrayLike<number | bigint>);
}
