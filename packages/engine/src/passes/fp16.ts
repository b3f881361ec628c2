/**
 * fp16: float16 weights and, where the runtime has float16 kernels, float16 compute.
 *
 * - Weights: float32 initializers (and Constant values) become float16, rounded to nearest even; finite
 *   values beyond ±65504 saturate to ±65504 (counted in the log). A weight also read by a float32 node is
 *   stored once in float16 with a Cast back to float32 for that reader; onnxruntime folds such Casts
 *   when it loads the model, so they cost nothing per inference.
 * - Compute: nodes whose op has a float16 form (fp16-types.ts) and is not in the block list run in
 *   float16. Ops that only move or select values (Reshape, Transpose, Slice, Concat, …) follow the
 *   precision of the activations they read, so no Cast is spent on them. Blocked ops, ops the pass does
 *   not know, nodes with subgraphs and nodes outside the default domain stay float32 with Casts around
 *   them. Integer shape subgraphs (Shape → Gather → Concat on int64) are untouched.
 * - Graph inputs and outputs keep float32 by default (a Cast at each boundary that needs one); value_info
 *   types are updated so the model validates and loads.
 *
 * The default block list is what onnxruntime-node 1.30's CPU execution provider lacks on x86-64
 * (ORT_CPU_FP16_UNSUPPORTED_OPS): nearly all arithmetic, so on such a machine the default variant is in
 * effect float16 storage with float32 compute. `blockOps: []` gives a float16 graph for targets with
 * float16 kernels (ARM64 builds, GPU execution providers); on x86 onnxruntime then inserts its own
 * Casts around every arithmetic node, which is slower than float32.
 */
import { PassError } from "../errors";
import { createIntAttribute, findAttribute, getIntAttribute, getSubgraphs } from "../onnx/attributes";
import { createNode } from "../onnx/builder";
import { createConstantResolver } from "../onnx/constants";
import { DATA_TYPE } from "../onnx/data-type";
import { toFloat16 } from "../onnx/float16";
import { createNameGenerator, getConsumers, getOuterScopeReads } from "../onnx/graph";
import type { Node, OnnxModel, Tensor } from "../onnx/model";
import { createTensor, getElementCount, getTensorData } from "../onnx/tensor";
import type { Pass, PassContext } from "../types";
import {
  FP16_OPS,
  inferElemTypes,
  isFloatSlot,
  ORT_CPU_FP16_UNSUPPORTED_OPS,
  PRECISION_NEUTRAL_OPS,
} from "./fp16-types";

export interface Fp16Options {
  /** Op types kept in float32 with Casts around them. Default ORT_CPU_FP16_UNSUPPORTED_OPS. */
  blockOps?: readonly string[];
  /** Keep float32 graph inputs and outputs, with Casts at the boundaries. Default true. */
  keepIoFloat32?: boolean;
  /** Node names kept in float32. */
  excludeNodes?: readonly string[];
}

const FLOAT = DATA_TYPE.FLOAT;
const FLOAT16 = DATA_TYPE.FLOAT16;
/** Below this many elements a weight read in float32 stays float32: the Cast node would cost more bytes. */
const MIN_CAST_ELEMENTS = 64;

const isDefaultDomain = (node: Node) => !node.domain || node.domain === "ai.onnx";
/** Ops that read any element type (they look at the shape, or convert): no Cast in front of them. */
const ANY_TYPE_OPS = new Set(["Cast", "Shape", "Size"]);

export function createFp16Pass(options: Fp16Options = {}): Pass {
  const blocked = new Set(options.blockOps ?? ORT_CPU_FP16_UNSUPPORTED_OPS);
  const exclude = new Set(options.excludeNodes ?? []);
  const keepIo = options.keepIoFloat32 ?? true;
  return {
    name: "fp16",
    variantName: "fp16",
    description:
      "float16 weights, float16 compute where the runtime has kernels; float32 graph inputs/outputs and blocked ops, with Casts",
    run(input: OnnxModel, context: PassContext): OnnxModel {
      const model = structuredClone(input);
      const graph = model.graph;
      const types = inferElemTypes(graph);
      const isFloat = (name: string) => name !== "" && types.get(name) === FLOAT;
      const outerReads = getOuterScopeReads(graph);
      const pinned = new Set([...outerReads, ...graph.output.map((o) => o.name)]);
      const newName = createNameGenerator(model);
      const resolve = createConstantResolver(model);
      const constants = new Set(
        graph.initializer.filter((t) => t.name && resolve(t.name)).map((t) => t.name ?? ""),
      );
      for (const node of graph.node)
        if (node.opType === "Constant" && node.output[0]) constants.add(node.output[0]);

      // 1. Which nodes run in float16; `half` holds the activations they produce. Computing ops first,
      //    then (in graph order) the precision-neutral ones, which follow what they read.
      const half = new Set<string>();
      if (!keepIo)
        for (const v of graph.input) if (isFloat(v.name) && !constants.has(v.name)) half.add(v.name);
      const converted = new Set<Node>();
      const kept: Record<string, number> = {};
      const candidates = new Map<Node, { floatInputs: string[]; outputs: string[]; follows: boolean }>();
      for (const node of graph.node) {
        const slots = FP16_OPS[node.opType];
        const castToFloat = node.opType === "Cast" && getIntAttribute(node, "to", 0) === FLOAT;
        if (!isDefaultDomain(node) || (!slots && !castToFloat)) continue;
        const floatInputs = slots
          ? node.input.filter((n, i) => n !== "" && isFloatSlot(slots.inputs, i))
          : node.input;
        if (slots && (floatInputs.length === 0 || !floatInputs.every(isFloat))) continue;
        const outputs = slots
          ? node.output.filter((o, i) => o !== "" && isFloatSlot(slots.outputs, i))
          : node.output;
        const keep =
          blocked.has(node.opType) ||
          exclude.has(node.name ?? "") ||
          getSubgraphs(node).length > 0 ||
          outputs.some((o) => outerReads.has(o));
        if (keep) {
          kept[node.opType] = (kept[node.opType] ?? 0) + 1;
          continue;
        }
        const follows = castToFloat || PRECISION_NEUTRAL_OPS.has(node.opType);
        candidates.set(node, { floatInputs, outputs, follows });
        if (follows) continue;
        converted.add(node);
        for (const o of outputs) if (isFloat(o)) half.add(o);
      }
      const consumers = getConsumers(graph);
      for (const [node, { floatInputs, outputs, follows }] of candidates) {
        if (!follows) continue;
        const fromConstants = floatInputs.every((n) => constants.has(n));
        // Fed float16 activations (constants read either way), or only constants and read by float16 compute.
        const fedHalf = fromConstants
          ? outputs.some((o) =>
              (consumers.get(o) ?? []).some((c) => converted.has(c) && !candidates.get(c)?.follows),
            )
          : floatInputs.every((n) => half.has(n) || constants.has(n));
        if (!fedHalf) continue;
        converted.add(node);
        for (const o of outputs) half.add(o);
      }

      // 2. Weights: float16 in place when every reader wants float16, else float16 + Cast for float32 readers.
      const readers = new Map<string, { half: number; full: number }>();
      const wantOf = (node: Node, index: number): number | undefined => {
        if (ANY_TYPE_OPS.has(node.opType) && isDefaultDomain(node)) return undefined;
        const slots = FP16_OPS[node.opType];
        return converted.has(node) && slots && isFloatSlot(slots.inputs, index) ? FLOAT16 : FLOAT;
      };
      for (const node of graph.node) {
        node.input.forEach((name, i) => {
          if (!constants.has(name) || !isFloat(name)) return;
          const entry = readers.get(name) ?? { half: 0, full: 0 };
          const want = wantOf(node, i);
          // Readers of any type (Cast, Shape) do not vote: a float constant cast to int64 keeps its exact value.
          if (want === FLOAT16) entry.half++;
          else if (want === FLOAT) entry.full++;
          readers.set(name, entry);
        });
      }
      const counts = { overflowed: 0, flushed: 0, weights: 0, withCast: 0 };
      const toHalf = (t: Tensor, name: string): Tensor => {
        const { bits, overflowed, flushedToZero } = toFloat16(getTensorData(t) as Float32Array, true);
        counts.overflowed += overflowed;
        counts.flushed += flushedToZero;
        counts.weights++;
        return createTensor(name, FLOAT16, t.dims, bits);
      };
      const prelude: Node[] = [];
      const castOf = new Map<string, string>(); // value → its float32 (or float16) Cast output
      graph.initializer = graph.initializer.map((t) => {
        const name = t.name ?? "";
        const use = readers.get(name);
        if (
          t.dataType !== FLOAT ||
          !use ||
          use.half + use.full === 0 ||
          pinned.has(name) ||
          !constants.has(name)
        )
          return t;
        if (use.full === 0) {
          half.add(name);
          return toHalf(t, name);
        }
        if (getElementCount(t.dims) < MIN_CAST_ELEMENTS) return t;
        // Stored float16 under a new name; the float32 readers get a (load-time folded) Cast under the old one.
        const stored = newName(`${name}_fp16`);
        prelude.push(castNode(stored, name, FLOAT, newName));
        castOf.set(`${stored}|${FLOAT}`, name);
        half.add(stored);
        if (use.half > 0) castOf.set(`${name}|${FLOAT16}`, stored);
        counts.withCast++;
        return toHalf(t, stored);
      });
      for (const node of graph.node) {
        const out = node.output[0] ?? "";
        const attr = node.opType === "Constant" ? findAttribute(node, "value") : undefined;
        if (!attr?.t || attr.t.dataType !== FLOAT || pinned.has(out)) continue;
        const use = readers.get(out);
        if (use && use.full === 0 && use.half > 0) {
          const tensor = toHalf(attr.t, attr.t.name ?? "");
          if (attr.t.name === undefined) delete tensor.name;
          attr.t = tensor;
          half.add(out);
        }
      }

      // 3. Casts wherever a reader wants another float type than the value has.
      const nodes: Node[] = [...prelude];
      let castCount = 0;
      const castTo = (name: string, to: number): string => {
        const key = `${name}|${to}`;
        const existing = castOf.get(key);
        if (existing) return existing;
        const out = newName(`${name}_${to === FLOAT16 ? "fp16" : "fp32"}`);
        nodes.push(castNode(name, out, to, newName));
        castOf.set(key, out);
        castCount++;
        return out;
      };
      for (const node of graph.node) {
        node.input.forEach((name, i) => {
          if (!isFloat(name) && !half.has(name)) return;
          const want = wantOf(node, i);
          const has = half.has(name) ? FLOAT16 : FLOAT;
          if (want !== undefined && want !== has) node.input[i] = castTo(name, want);
        });
        if (converted.has(node) && node.opType === "Cast") {
          node.attribute = node.attribute.map((a) =>
            a.name === "to" ? createIntAttribute("to", FLOAT16) : a,
          );
        }
        nodes.push(node);
      }
      graph.node = nodes;

      // 4. Boundaries and declared types.
      for (const output of graph.output) {
        const isHalf = half.has(output.name);
        if (isHalf === !keepIo || (!isHalf && !isFloat(output.name))) {
          if (isHalf && output.type?.tensorType) output.type.tensorType.elemType = FLOAT16;
          continue;
        }
        // Produced in the other precision than the interface wants: rename inside, Cast at the boundary.
        const inner = newName(`${output.name}_${isHalf ? "fp16" : "fp32"}`);
        for (const node of graph.node) {
          node.input = node.input.map((n) => (n === output.name ? inner : n));
          node.output = node.output.map((n) => (n === output.name ? inner : n));
        }
        graph.node.push(castNode(inner, output.name, keepIo ? FLOAT : FLOAT16, newName));
        if (!keepIo && output.type?.tensorType) output.type.tensorType.elemType = FLOAT16;
        castCount++;
      }
      for (const v of [...graph.valueInfo, ...(keepIo ? [] : graph.input)]) {
        if (v.type?.tensorType && half.has(v.name)) v.type.tensorType.elemType = FLOAT16;
      }

      if (converted.size === 0 && counts.weights === 0) {
        throw new PassError(
          "PASS_NOT_APPLICABLE",
          "fp16 found nothing to convert: the model has no float32 weights and no float32 computation with a float16 form",
        );
      }
      const byOp: Record<string, number> = {};
      for (const node of converted) byOp[node.opType] = (byOp[node.opType] ?? 0) + 1;
      context.log(
        `float16 weights: ${counts.weights} tensor(s) (${counts.withCast} also read in float32 through a load-time Cast)`,
      );
      context.log(
        `float16 compute: ${converted.size} node(s)${converted.size ? ` (${describe(byOp)})` : ""}; ${castCount} activation Cast(s) inserted`,
      );
      if (Object.keys(kept).length)
        context.log(`kept in float32 (block list, exclusions, subgraphs): ${describe(kept)}`);
      if (counts.overflowed > 0)
        context.log(`${counts.overflowed} weight value(s) beyond ±65504 saturated to ±65504`);
      if (counts.flushed > 0)
        context.log(`${counts.flushed} tiny non-zero weight value(s) became 0 in float16`);
      return model;
    },
  };
}

export const fp16Pass: Pass = createFp16Pass();

function castNode(input: string, output: string, to: number, newName: (base: string) => string): Node {
  return createNode("Cast", [input], [output], {
    name: newName(`${output}_Cast`),
    attributes: [createIntAttribute("to", to)],
  });
}

function describe(counts: Record<string, number>): string {
  return Object.entries(counts)
    .map(([op, n]) => `${n} ${op}`)
    .join(", ");
}
