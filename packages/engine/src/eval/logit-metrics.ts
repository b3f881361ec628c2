/**
 * Metrics over logits (softmax over the last axis): KL divergence between two models' distributions and
 * the mean negative log-likelihood of labels. Natural logarithms, so both are in nats.
 */
import { EvaluationError } from "../errors";
import type { NumericArray } from "./metrics";

/** log Σ exp(x) over data[start, start + n), computed stably. */
function logSumExp(data: NumericArray, start: number, n: number): number {
  let max = Number.NEGATIVE_INFINITY;
  for (let i = start; i < start + n; i++) max = Math.max(max, data[i] as number);
  if (!Number.isFinite(max)) return max;
  let sum = 0;
  for (let i = start; i < start + n; i++) sum += Math.exp((data[i] as number) - max);
  return max + Math.log(sum);
}

/**
 * Mean over rows (every position of the leading axes) of KL(P‖Q), P = softmax(reference row),
 * Q = softmax(candidate row): how much the candidate's distribution diverges from the original's.
 */
export function meanKlDivergence(reference: NumericArray, candidate: NumericArray, lastDim: number): number {
  const rows = Math.floor(reference.length / lastDim);
  if (rows === 0) return 0;
  let total = 0;
  for (let r = 0; r < rows; r++) {
    const start = r * lastDim;
    const lseP = logSumExp(reference, start, lastDim);
    const lseQ = logSumExp(candidate, start, lastDim);
    let kl = 0;
    for (let i = start; i < start + lastDim; i++) {
      const logP = (reference[i] as number) - lseP;
      const logQ = (candidate[i] as number) - lseQ;
      kl += Math.exp(logP) * (logP - logQ);
    }
    // rounding can leave a tiny negative value for identical rows
    total += Math.max(0, kl);
  }
  return total / rows;
}

/**
 * Mean over rows of −log softmax(logits row)[label]: the cross-entropy of the labels under the model.
 * `labels` holds one class index per row; an index outside [0, lastDim) is a DATA_MISMATCH.
 */
export function meanNegativeLogLikelihood(
  logits: NumericArray,
  lastDim: number,
  labels: ArrayLike<number | bigint>,
): number {
  const rows = Math.floor(logits.length / lastDim);
  if (labels.length < rows) {
    throw new EvaluationError("DATA_MISMATCH", `${labels.length} labels for ${rows} predictions`);
  }
  if (rows === 0) return 0;
  let total = 0;
  for (let r = 0; r < rows; r++) {
    const label = Number(labels[r]);
    if (!Number.isInteger(label) || label < 0 || label >= lastDim) {
      throw new EvaluationError(
        "DATA_MISMATCH",
        `label ${String(labels[r])} at position ${r} is not a class index in [0, ${lastDim})`,
      );
    }
    const start = r * lastDim;
    total += logSumExp(logits, start, lastDim) - (logits[start + label] as number);
  }
  return total / rows;
}
