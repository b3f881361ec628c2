/**
 * fold-constants: evaluates, in TypeScript, every node whose inputs are all constants (initializers,
 * Constant nodes, or values folded before it) for the ops in fold-kernels.ts, and replaces it by an
 * initializer; Shape (and Gather/Slice of a Shape) folds where the dims it reads are static
 * (static-dims.ts). Constant nodes become initializers. Nodes and initializers nobody reads any more
 * are removed.
 *
 * It is a preparatory pass: a weight behind a Transpose/Reshape/Cast is only a constant weight for
 * the quantization passes once folded, so they may call `foldConstants(model)` first, and recipes
 * usually start with it ('fold-constants+quantize-…'). On a model with nothing to fold it logs so and
 * returns an unchanged copy instead of failing, so such a recipe still works on every model.
 *
 * Folding never makes the model much bigger: an output larger than its inputs (and than 64 KiB) is
 * left to the runtime, so e.g. Cast(int8 → float) of a quantized weight is not undone.
 */
import { getSubgraphs } from "../onnx/attributes";
import { DATA_TYPE } from "../onnx/data-type";
import { findDefaultOpsetVersion, removeUnusedNodesAndInitializers, sortTopologically } from "../onnx/graph";
import type { Node, OnnxModel, Tensor } from "../onnx/model";
import { createTensor } from "../onnx/tensor";
import type { Pass, PassContext } from "../types";
import { type ConstValue, FOLD_KERNELS, sliceRanges, toConstValue, toIntegers } from "./fold-kernels";
import { findStaticShapes, type StaticShapes } from "./static-dims";

export interface FoldConstantsOptions {
  /** Largest output (bytes) a fold may produce beyond the size of its inputs; default 64 KiB. */
  maxGrowthBytes?: number;
}

export interface FoldConstantsResult {
  /** A new model (the input is not modified). */
  model: OnnxModel;
  /** Nodes replaced by initializers, by op type. */
  foldedByOp: Record<string, number>;
  folded: number;
  /** Nodes and initializers removed in the end (folded nodes and what only they read). */
  removedNodes: number;
  removedInitializers: number;
}

const isDefaultDomain = (node: Node) => !node.domain || node.domain === "ai.onnx";

function toTensor(name: string, value: ConstValue): Tensor {
  return createTensor(name, value.dataType, value.dims, value.data);
}

/** Evaluates constant subgraphs into initializers; see the file comment. */
export function foldConstants(input: OnnxModel, options: FoldConstantsOptions = {}): FoldConstantsResult {
  const model = structuredClone(input);
  const graph = model.graph;
  const maxGrowth = options.maxGrowthBytes ?? 64 * 1024;
  const opset = findDefaultOpsetVersion(model) ?? 1;
  const before = graph.node.length;

  const inputs = new Set(graph.input.map((i) => i.name));
  const initializers = new Map<string, Tensor>();
  for (const t of graph.initializer) {
    if (t.name && (model.irVersion < 4 || !inputs.has(t.name))) initializers.set(t.name, t);
  }
  const values = new Map<string, ConstValue | null>();
  const getValue = (name: string): ConstValue | undefined => {
    const cached = values.get(name);
    if (cached !== undefined) return cached ?? undefined;
    const tensor = initializers.get(name);
    const value = tensor ? toConstValue(tensor) : undefined;
    values.set(name, value ?? null);
    return value;
  };
  const isConstant = (name: string) => values.get(name) != null || initializers.has(name);

  let statics: StaticShapes | undefined;
  const staticShapeOf = (name: string): (number | undefined)[] | undefined => {
    const constant = initializers.get(name);
    if (constant) return [...constant.dims];
    statics ??= findStaticShapes(model);
    return statics.get(name);
  };
  /** Shape outputs with some static entries: int64 vector, undefined where the dim is dynamic. */
  const partialShapes = new Map<string, (number | undefined)[]>();

  const graphOutputs = new Set(graph.output.map((o) => o.name));
  const foldedByOp: Record<string, number> = {};
  const folded = new Set<Node>();
  const newInitializers: Tensor[] = [];
  const record = (node: Node, outputs: ConstValue[]) => {
    node.output.forEach((name, i) => {
      const value = outputs[i];
      if (!value || name === "") return;
      values.set(name, value);
      newInitializers.push(toTensor(name, value));
    });
    folded.add(node);
    foldedByOp[node.opType] = (foldedByOp[node.opType] ?? 0) + 1;
  };

  for (const node of sortTopologically(graph).order) {
    if (!isDefaultDomain(node) || getSubgraphs(node).length > 0) continue;
    if (node.output.some((o) => graphOutputs.has(o))) continue;

    if (node.opType === "Constant") {
      const tensor = node.attribute.length === 1 ? node.attribute[0]?.t : undefined;
      const name = node.output[0];
      if (tensor && name && node.attribute[0]?.name === "value") {
        // any element type (float16 too): the tensor moves into the initializer list as it is
        const moved = { ...tensor, name };
        initializers.set(name, moved);
        newInitializers.push(moved);
        folded.add(node);
        foldedByOp.Constant = (foldedByOp.Constant ?? 0) + 1;
        continue;
      }
    }

    if (node.opType === "Shape") {
      const dims = node.input[0] ? staticShapeOf(node.input[0]) : undefined;
      if (!dims) continue;
      const rank = dims.length;
      const clamp = (v: number) => Math.min(Math.max(v < 0 ? v + rank : v, 0), rank);
      const startAttr = node.attribute.find((a) => a.name === "start")?.i;
      const endAttr = node.attribute.find((a) => a.name === "end")?.i;
      const selected = dims.slice(
        clamp(startAttr === undefined ? 0 : Number(startAttr)),
        endAttr === undefined ? rank : clamp(Number(endAttr)),
      );
      if (selected.every((d) => d !== undefined)) {
        record(node, [int64Vector(selected as number[])]);
      } else if (node.output[0]) {
        partialShapes.set(node.output[0], selected);
      }
      continue;
    }

    const partial = node.input[0] ? partialShapes.get(node.input[0]) : undefined;
    if (partial && (node.opType === "Gather" || node.opType === "Slice")) {
      const picked = pickFromPartial(node, partial, getValue);
      if (picked) record(node, [picked]);
      continue;
    }

    const kernel = FOLD_KERNELS[node.opType];
    if (!kernel) continue;
    const names = node.input;
    if (!names.every((n) => n === "" || isConstant(n))) continue;
    const args = names.map((n) => (n === "" ? undefined : getValue(n)));
    if (names.some((n, i) => n !== "" && !args[i])) continue; // a constant the kernels cannot read
    const outputs = kernel(node, args, opset);
    if (!outputs || outputs.length < node.output.filter((o) => o !== "").length) continue;
    const inBytes = args.reduce((s, a) => s + (a?.data.byteLength ?? 0), 0);
    const outBytes = outputs.reduce((s, o) => s + o.data.byteLength, 0);
    if (outBytes > Math.max(inBytes, maxGrowth)) continue;
    record(node, outputs);
  }

  graph.node = graph.node.filter((n) => !folded.has(n));
  graph.initializer.push(...newInitializers);
  const removed = removeUnusedNodesAndInitializers(graph);
  const total = folded.size;
  return {
    model,
    foldedByOp,
    folded: total,
    removedNodes: before - graph.node.length,
    removedInitializers: Math.max(0, removed.initializers),
  };
}

function int64Vector(values: readonly number[]): ConstValue {
  return {
    dataType: DATA_TYPE.INT64,
    dims: [values.length],
    data: BigInt64Array.from(values, (v) => BigInt(v)),
  };
}

/** Gather/Slice over a partly static Shape output: a constant when every element it picks is static. */
function pickFromPartial(
  node: Node,
  partial: readonly (number | undefined)[],
  getValue: (name: string) => ConstValue | undefined,
): ConstValue | undefined {
  const constantInput = (i: number) => (node.input[i] ? getValue(node.input[i] as string) : undefined);
  if (node.opType === "Gather") {
    const indicesValue = constantInput(1);
    const indices = toIntegers(indicesValue);
    if (!indicesValue || !indices) return undefined;
    const axis = node.attribute.find((a) => a.name === "axis")?.i ?? 0n;
    if (axis !== 0n && axis !== -1n) return undefined;
    const picked = indices.map((i) => partial[i < 0 ? i + partial.length : i]);
    if (picked.some((v) => v === undefined)) return undefined;
    const value = int64Vector(picked as number[]);
    return { ...value, dims: [...indicesValue.dims] };
  }
  // Slice (opset ≥ 10 form: starts, ends, axes, steps as inputs)
  if (node.attribute.length > 0) return undefined;
  const [starts, ends] = [toIntegers(constantInput(1)), toIntegers(constantInput(2))];
  const axes = node.input[3] ? toIntegers(constantInput(3)) : undefined;
  const steps = node.input[4] ? toIntegers(constantInput(4)) : undefined;
  if (!starts || !ends || (node.input[3] && !axes) || (node.input[4] && !steps)) return undefined;
  const ranges = sliceRanges([partial.length], starts, ends, axes, steps);
  const r = ranges?.[0];
  if (!r) return undefined;
  const picked = Array.from({ length: r.count }, (_, i) => partial[r.start + i * r.step]);
  if (picked.some((v) => v === undefined)) return undefined;
  return int64Vector(picked as number[]);
}

export const foldConstantsPass: Pass = {
  name: "fold-constants",
  variantName: "fp32-folded",
  description:
    "evaluates constant subgraphs (weights behind Transpose/Reshape/Cast, shape arithmetic, Constant nodes) into initializers",
  run(model: OnnxModel, context: PassContext): OnnxModel {
    const result = foldConstants(model);
    if (result.folded === 0) {
      context.log("nothing to fold: no node has only constant inputs (model returned unchanged)");
      return result.model;
    }
    const ops = Object.entries(result.foldedByOp)
      .sort((a, b) => b[1] - a[1])
      .map(([op, n]) => `${n} ${op}`)
      .join(", ");
    context.log(
      `folded ${result.folded} node(s) into initializers (${ops}); ${result.removedNodes} node(s) fewer, ` +
        `${result.removedInitializers} initializer(s) no longer read were dropped`,
    );
    return result.model;
  },
};
