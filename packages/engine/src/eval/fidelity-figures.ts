/**
 * Task and fidelity figures of a model's outputs on an evaluation set: accuracy / NLL against labels,
 * reconstruction MSE, and — for a variant — agreement with the original's outputs (cosine, max error,
 * KL divergence of the softmax, top-1 agreement, Spearman ρ of per-sample reconstruction error).
 */
import type { NpyArray } from "../data/npy";
import { EvaluationError } from "../errors";
import type { EvaluationSet } from "./dataset";
import type { CollectedOutputs } from "./evaluate";
import { compareOutputs } from "./evaluate";
import type { Figure, Figures } from "./figures";
import { meanKlDivergence, meanNegativeLogLikelihood } from "./logit-metrics";
import { agreement, argmaxLastAxis, meanSquaredError, perSampleMse } from "./metrics";
import { spearmanRho } from "./rank-metrics";

export type OutputKind = "logits" | "reconstruction" | "other";

export interface FidelityFigureOptions {
  /** Treat the first output as a reconstruction of the first input; default: when their sample shapes match. */
  reconstruction?: boolean;
  /** Describes the data in every method, e.g. '2000 samples of eval.npz' or '64 synthetic inputs …'. */
  dataLabel: string;
}

type Output = { sampleDims: number[]; data: Float64Array };

function firstOf(outputs: CollectedOutputs): [string, Output] {
  const first = outputs.entries().next().value;
  if (!first) throw new EvaluationError("RUNTIME_FAILED", "the model produced no outputs");
  return first;
}

/** The evaluated samples of an array as float64 (for reconstruction errors). */
function samplesAsFloat64(array: NpyArray, samples: number): Float64Array {
  const per = array.shape.slice(1).reduce((a, b) => a * b, 1);
  const data = array.data.subarray(0, samples * per);
  return data instanceof BigInt64Array || data instanceof BigUint64Array
    ? Float64Array.from(data, Number)
    : Float64Array.from(data as ArrayLike<number>);
}

/** What the first output is: a reconstruction of the (single) input, logits (last axis > 1), or other. */
export function detectOutputKind(
  outputs: CollectedOutputs,
  set: EvaluationSet,
  options: Pick<FidelityFigureOptions, "reconstruction"> = {},
): OutputKind {
  const [, out] = firstOf(outputs);
  const input = set.inputs.values().next().value;
  const sameShape =
    input !== undefined &&
    input.shape.slice(1).join(",") === out.sampleDims.join(",") &&
    (input.dtype === "float32" || input.dtype === "float64" || input.dtype === "float16");
  if (options.reconstruction ?? sameShape) {
    if (!input || input.shape.slice(1).reduce((a, b) => a * b, 1) !== out.data.length / set.samples) {
      throw new EvaluationError(
        "DATA_MISMATCH",
        "reconstruction metrics need the first output to have as many values per sample as the first input",
      );
    }
    return "reconstruction";
  }
  return (out.sampleDims.at(-1) ?? 1) > 1 ? "logits" : "other";
}

/** Labels with one class index per argmax position of the first output, else undefined. */
function alignedLabels(set: EvaluationSet, rows: number): ArrayLike<number | bigint> | undefined {
  const labels = set.labels;
  if (!labels) return undefined;
  const per = labels.shape.slice(1).reduce((a, b) => a * b, 1);
  if (per * set.samples !== rows) return undefined;
  return labels.data.subarray(0, rows) as ArrayLike<number | bigint>;
}

/** Task figures of one model (baseline or variant) on the set: accuracy, NLL, reconstruction MSE. */
function taskFigures(outputs: CollectedOutputs, set: EvaluationSet, kind: OutputKind, dataLabel: string) {
  const figures: Figures = {};
  const [name, out] = firstOf(outputs);
  if (kind === "logits") {
    const classes = out.sampleDims.at(-1) ?? 1;
    const rows = out.data.length / classes;
    const labels = alignedLabels(set, rows);
    if (labels) {
      const per = rows / set.samples > 1 ? ` (${rows / set.samples} positions per sample)` : "";
      figures.accuracy = {
        value: agreement(argmaxLastAxis(out.data, classes), labels),
        unit: "fraction",
        method: `argmax over the last axis of '${name}' equals 'labels'${per}, ${dataLabel}`,
      };
      figures.nllNats = {
        value: meanNegativeLogLikelihood(out.data, classes, labels),
        unit: "nats",
        method: `mean −log softmax('${name}')[label] over ${rows} positions, ${dataLabel}`,
      };
    }
  } else if (kind === "reconstruction") {
    const [inputName, input] = set.inputs.entries().next().value as [string, NpyArray];
    figures.reconstructionMse = {
      value: meanSquaredError(out.data, samplesAsFloat64(input, set.samples)),
      unit: "squared input units",
      method: `mean squared error of '${name}' against input '${inputName}', ${dataLabel}`,
    };
  }
  return figures;
}

/**
 * All output figures of a model. Pass `reference` (the original's outputs on the same set) for a variant;
 * without it only the task figures are computed (the baseline compared with itself is trivially exact).
 */
export function computeOutputFigures(
  outputs: CollectedOutputs,
  set: EvaluationSet,
  options: FidelityFigureOptions & { reference?: CollectedOutputs },
): Figures {
  const { reference, dataLabel } = options;
  const kindSource = reference ?? outputs;
  const kind = detectOutputKind(kindSource, set, options);
  const figures = taskFigures(outputs, set, kind, dataLabel);
  if (!reference) return figures;

  const fidelity = compareOutputs(reference, outputs, set);
  const [name, out] = firstOf(outputs);
  const [, ref] = firstOf(reference);
  const vs = `against the original's outputs, ${dataLabel}`;
  const add = (key: string, figure: Figure) => {
    figures[key] = figure;
  };
  add("cosine", {
    value: fidelity.cosine,
    unit: "cosine",
    method: `mean per-sample cosine similarity (worst output) ${vs}`,
  });
  add("minCosine", { value: fidelity.minCosine, unit: "cosine", method: `lowest per-sample cosine ${vs}` });
  add("maxAbsError", {
    value: fidelity.maxAbsError,
    unit: "output units",
    method: `largest absolute difference over all outputs ${vs}`,
  });
  add("outputMse", {
    value: meanSquaredError(out.data, ref.data),
    unit: "squared output units",
    method: `mean squared difference of '${name}' ${vs}`,
  });
  if (kind === "logits") {
    const classes = out.sampleDims.at(-1) ?? 1;
    add("top1Agreement", {
      value: agreement(argmaxLastAxis(ref.data, classes), argmaxLastAxis(out.data, classes)),
      unit: "fraction",
      method: `share of positions where argmax over the last axis of '${name}' matches the original's, ${dataLabel}`,
    });
    add("klDivergence", {
      value: meanKlDivergence(ref.data, out.data, classes),
      unit: "nats",
      method: `mean KL(softmax(original) ‖ softmax(variant)) over the last axis of '${name}', ${dataLabel}`,
    });
  } else if (kind === "reconstruction") {
    const input = samplesAsFloat64(set.inputs.values().next().value as NpyArray, set.samples);
    add("spearmanRho", {
      value: spearmanRho(
        perSampleMse(ref.data, input, set.samples),
        perSampleMse(out.data, input, set.samples),
      ),
      unit: "rho",
      method: `Spearman rank correlation (average ranks for ties) of per-sample reconstruction MSE (anomaly score) with the original's, ${dataLabel}`,
    });
  }
  return figures;
}
