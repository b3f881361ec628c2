/**
 * accuracy-aware: int8 with as few float layers as an accuracy goal allows (the idea of NNCF's
 * accuracy control). Steps, each candidate model measured on the evaluation set (accuracy-goal.ts):
 *
 *   1. quantize every node the base pass handles (quantize-static-int8 when calibration data exists,
 *      else quantize-dynamic-int8; constants are folded first so weights behind Transpose count);
 *      if that meets the goal, done;
 *   2. rank the quantized nodes by damage: quantize all, then revert each node alone to float and
 *      measure how much output fidelity that restores (N evaluations; fidelity, not accuracy, because
 *      it is continuous while accuracy on a small subset mostly does not move for one layer). With more
 *      nodes than ~60% of the evaluation budget, contiguous groups of nodes are ranked instead;
 *   3. greedily revert the most damaging nodes (groups), one more per evaluation, until the goal is met;
 *   4. with evaluations left, try re-quantizing each reverted node again (least damaging first) and
 *      keep it quantized when the goal still holds: the cheapest mix found (fewest float nodes).
 *
 * Fails (PassError) when only the all-float model meets the goal, or when the budget runs out first.
 */
import { PassError } from "../errors";
import type { EvaluationSet } from "../eval/dataset";
import { getSubgraphs } from "../onnx/attributes";
import { createNameGenerator } from "../onnx/graph";
import type { OnnxModel } from "../onnx/model";
import type { Pass, PassContext } from "../types";
import {
  type AccuracyGoal,
  describeMeasurement,
  Evaluator,
  goalRatio,
  limitSamples,
  type Measurement,
  resolveGoal,
} from "./accuracy-goal";
import { foldConstants } from "./fold-constants";
import { createQuantizeDynamicInt8Pass } from "./quantize-dynamic-int8";
import { createQuantizeStaticInt8Pass } from "./quantize-static-int8";

export type { AccuracyGoal } from "./accuracy-goal";

export const ACCURACY_AWARE_BASES = ["quantize-static-int8", "quantize-dynamic-int8"] as const;
export type AccuracyAwareBase = (typeof ACCURACY_AWARE_BASES)[number];

export interface AccuracyAwareOptions {
  goal?: AccuracyGoal;
  /** Quantization pass to apply; default quantize-static-int8 with calibration data, else quantize-dynamic-int8. */
  base?: AccuracyAwareBase;
  /** Most candidate models measured (each is one run over the evaluation subset); default 60. */
  maxEvaluations?: number;
  /** Evaluation samples used per measurement; default 500. */
  maxSamples?: number;
}

export interface AccuracyAwareResult {
  model: OnnxModel;
  base: AccuracyAwareBase;
  /** Nodes the base pass quantizes when nothing is excluded. */
  quantizedNodes: string[];
  /** Nodes kept in float in the result. */
  floatNodes: string[];
  referenceAccuracy?: number;
  /** All nodes quantized. */
  before: Measurement;
  /** The returned mix. */
  after: Measurement;
  evaluations: number;
  samples: number;
}

const BASE_OPS: Record<AccuracyAwareBase, ReadonlySet<string>> = {
  "quantize-dynamic-int8": new Set(["MatMul", "Gemm", "Conv"]),
  "quantize-static-int8": new Set(["MatMul", "Gemm", "Conv", "Add"]),
};

function createBase(base: AccuracyAwareBase, exclude: readonly string[]): Pass {
  return base === "quantize-static-int8"
    ? createQuantizeStaticInt8Pass({ excludeNodes: exclude })
    : createQuantizeDynamicInt8Pass({ excludeNodes: exclude });
}

/** Gives every node a name (the base passes exclude nodes by name). */
function nameAllNodes(model: OnnxModel): void {
  const newName = createNameGenerator(model);
  for (const node of model.graph.node) node.name ||= newName(`${node.opType}_${node.output[0] ?? "node"}`);
}

/**
 * Nodes of `model` the base pass quantized in `quantized`: gone (rewritten to integer ops, as the dynamic
 * pass does) or now reading a DequantizeLinear output (QDQ form, as the static pass leaves them).
 */
function findQuantizedNodes(model: OnnxModel, quantized: OnnxModel, ops: ReadonlySet<string>): string[] {
  const byName = new Map(quantized.graph.node.map((n) => [n.name ?? "", n]));
  const dequantized = new Set(
    quantized.graph.node.filter((n) => n.opType === "DequantizeLinear").flatMap((n) => n.output),
  );
  return model.graph.node
    .filter(
      (node) =>
        ops.has(node.opType) &&
        (!node.domain || node.domain === "ai.onnx") &&
        getSubgraphs(node).length === 0,
    )
    .filter((node) => {
      const after = byName.get(node.name ?? "");
      return !after || after.input.some((i) => dequantized.has(i));
    })
    .map((node) => node.name as string);
}

export async function runAccuracyAware(
  input: OnnxModel,
  context: PassContext,
  options: AccuracyAwareOptions = {},
): Promise<AccuracyAwareResult> {
  const runtime = context.runtime;
  const data: EvaluationSet | undefined = context.data?.evaluation ?? context.data?.calibration;
  if (!runtime) {
    throw new PassError(
      "PASS_NOT_APPLICABLE",
      "accuracy-aware needs a runtime to measure candidates; run it where onnxruntime-node is available",
    );
  }
  if (!data) {
    throw new PassError(
      "PASS_NEEDS_DATA",
      "accuracy-aware needs evaluation data to measure the accuracy it keeps: pass --data eval.npz " +
        "(samples for every model input, plus 'labels' to use an accuracy goal)",
    );
  }
  const base: AccuracyAwareBase =
    options.base ?? (context.data?.calibration ? "quantize-static-int8" : "quantize-dynamic-int8");
  if (!ACCURACY_AWARE_BASES.includes(base)) {
    throw new PassError(
      "PASS_OPTIONS_INVALID",
      `accuracy-aware base must be one of ${ACCURACY_AWARE_BASES.join(", ")}, got '${String(base)}'`,
    );
  }
  const maxEvaluations = options.maxEvaluations ?? 60;
  if (!(Number.isInteger(maxEvaluations) && maxEvaluations >= 2)) {
    throw new PassError(
      "PASS_OPTIONS_INVALID",
      `accuracy-aware maxEvaluations must be an integer ≥ 2, got ${maxEvaluations}`,
    );
  }
  const set = limitSamples(data, options.maxSamples ?? 500);
  const goal = resolveGoal(options.goal, set.labels !== undefined);
  const evaluator = new Evaluator(runtime, set);

  const model = foldConstants(input).model;
  nameAllNodes(model);
  const referenceAccuracy = await evaluator.setReference(model);
  const quiet: PassContext = { ...context, log: () => undefined };
  const build = async (exclude: readonly string[]) => await createBase(base, exclude).run(model, quiet);
  const outOfBudget = () => evaluator.evaluations >= maxEvaluations;

  context.log(
    `base ${base}; goal ${goal.describe()} on ${set.samples} sample(s)` +
      (referenceAccuracy !== undefined ? ` (float accuracy ${(referenceAccuracy * 100).toFixed(2)}%)` : ""),
  );
  const allQuantized = await build([]);
  const before = await evaluator.measure(allQuantized);
  context.log(`all quantized: ${describeMeasurement(before)}`);

  const candidates = findQuantizedNodes(model, allQuantized, BASE_OPS[base]);
  const result = (m: OnnxModel, floatNodes: string[], after: Measurement): AccuracyAwareResult => ({
    model: m,
    base,
    quantizedNodes: candidates,
    floatNodes,
    ...(referenceAccuracy !== undefined ? { referenceAccuracy } : {}),
    before,
    after,
    evaluations: evaluator.evaluations,
    samples: set.samples,
  });
  if (candidates.length === 0) {
    throw new PassError("PASS_NOT_APPLICABLE", `accuracy-aware: ${base} quantized no node of this model`);
  }
  if (goalRatio(before, goal) <= 1) {
    context.log(`all ${candidates.length} quantized node(s) meet the goal; nothing kept in float`);
    return result(allQuantized, [], before);
  }

  // 2. rank units (single nodes, or contiguous groups when the budget is short) by restored fidelity
  const rankBudget = Math.max(1, Math.floor((maxEvaluations - 1) * 0.6));
  const groupSize = Math.ceil(candidates.length / Math.min(rankBudget, candidates.length));
  const units: string[][] = [];
  for (let i = 0; i < candidates.length; i += groupSize) units.push(candidates.slice(i, i + groupSize));
  const measureExcluding = async (exclude: readonly string[]): Promise<Measurement | undefined> => {
    try {
      return await evaluator.measure(await build(exclude));
    } catch (error) {
      if (error instanceof PassError && error.code === "PASS_NOT_APPLICABLE") return undefined; // nothing left to quantize
      throw error;
    }
  };
  const damage = new Map<string[], number>();
  for (const unit of units) {
    if (outOfBudget()) break;
    const m = await measureExcluding(unit);
    damage.set(unit, m ? before.fidelityLoss - m.fidelityLoss : Number.POSITIVE_INFINITY);
  }
  const ranked = [...units].sort((a, b) => (damage.get(b) ?? -Infinity) - (damage.get(a) ?? -Infinity));
  context.log(
    `ranked ${units.length} ${groupSize > 1 ? `group(s) of up to ${groupSize} node(s)` : "node(s)"} by damage; most damaging: ` +
      ranked
        .slice(0, 5)
        .map((u) => `${u.join("+")} (${(damage.get(u) ?? 0).toExponential(2)})`)
        .join(", "),
  );

  // 3. greedy: revert the most damaging units until the goal is met
  let reverted: string[][] = [];
  let best: { exclude: string[]; m: Measurement } | undefined;
  for (const unit of ranked) {
    if (outOfBudget()) break;
    reverted = [...reverted, unit];
    const exclude = reverted.flat();
    if (exclude.length >= candidates.length) break;
    const m = await measureExcluding(exclude);
    if (m && goalRatio(m, goal) <= 1) {
      best = { exclude, m };
      break;
    }
  }
  if (!best) {
    const reason =
      reverted.flat().length >= candidates.length
        ? `only the all-float model meets it (all ${candidates.length} quantized: ${describeMeasurement(before)})`
        : `the evaluation budget (${maxEvaluations}) ran out after keeping ${reverted.flat().length} of ${candidates.length} node(s) in float`;
    throw new PassError(
      "PASS_NOT_APPLICABLE",
      `accuracy-aware could not meet the goal (${goal.describe()}) with ${base}: ${reason}. ` +
        "Loosen the goal, raise maxEvaluations, or use a gentler base (e.g. quantize-dynamic-int8).",
    );
  }

  // 4. prune: re-quantize reverted nodes whose float copy turns out not to be needed
  const floatSet = new Set(best.exclude);
  const leastDamagingFirst = [...best.exclude].reverse();
  for (const name of leastDamagingFirst) {
    if (outOfBudget() || floatSet.size <= 1) break;
    const trial: string[] = [...floatSet].filter((n) => n !== name);
    const m = await measureExcluding(trial);
    if (m && goalRatio(m, goal) <= 1) {
      floatSet.delete(name);
      best = { exclude: trial, m };
    }
  }
  const floatNodes = candidates.filter((n) => floatSet.has(n));
  const final = await build(floatNodes);
  context.log(
    `kept ${floatNodes.length} of ${candidates.length} node(s) in float: ${floatNodes.join(", ")}; ` +
      `${describeMeasurement(best.m)} (all quantized: ${describeMeasurement(before)}); ${evaluator.evaluations} evaluation(s)`,
  );
  return result(final, floatNodes, best.m);
}

export function createAccuracyAwarePass(options: AccuracyAwareOptions = {}): Pass {
  return {
    name: "accuracy-aware",
    variantName: "int8-mixed",
    description:
      "int8 with the layers that hurt accuracy most kept in float, until an accuracy or fidelity goal is met (needs evaluation data)",
    async run(model: OnnxModel, context: PassContext): Promise<OnnxModel> {
      return (await runAccuracyAware(model, context, options)).model;
    },
  };
}

export const accuracyAwarePass: Pass = createAccuracyAwarePass();
