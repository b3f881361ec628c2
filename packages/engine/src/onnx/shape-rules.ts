/** Per-op output shape (and small-value) rules used by shape-infer.ts. A rule throws or returns [] when unsure. */

import {
  broadcastShapes,
  int,
  ints,
  normAxis,
  product,
  type ShapeRule,
  type ShapeRuleContext,
  shapeOf,
  valuesOf,
} from "./shape-rule-helpers";
import { conv, convTranspose, flatten, gemm, globalPool, matmul, pool } from "./shape-rules-nn";
import { QUANT_SHAPE_RULES } from "./shape-rules-quant";
import type { ValueFacts } from "./value-facts";
import { getTensorFacts, MAX_TRACKED_ELEMENTS } from "./value-facts";

export type { ShapeRule, ShapeRuleContext } from "./shape-rule-helpers";

const sameAsFirst: ShapeRule = (ctx) => [{ shape: shapeOf(ctx, 0), elemType: ctx.inputs[0]?.elemType }];

function elementwise(fn?: (a: number, b: number) => number): ShapeRule {
  return (ctx) => {
    const shapes = ctx.inputs.map((f) => f?.shape);
    if (shapes.some((s) => !s)) throw new Error("unknown input shape");
    const shape = broadcastShapes(shapes as number[][]);
    const out: ValueFacts = { shape, elemType: ctx.inputs[0]?.elemType };
    const a = valuesOf(ctx, 0);
    const b = valuesOf(ctx, 1);
    if (fn && a && b && ctx.inputs.length === 2 && product(shape) <= MAX_TRACKED_ELEMENTS) {
      const n = product(shape);
      if ((a.length === n || a.length === 1) && (b.length === n || b.length === 1)) {
        out.value = Array.from({ length: n }, (_, i) =>
          fn(a[a.length === 1 ? 0 : i] ?? 0, b[b.length === 1 ? 0 : i] ?? 0),
        );
      }
    }
    return [out];
  };
}

const reshape: ShapeRule = (ctx) => {
  const x = shapeOf(ctx, 0);
  const target = ctx.opsetVersion >= 5 ? valuesOf(ctx, 1) : ints(ctx, "shape");
  if (!target) throw new Error("reshape target unknown");
  const allowZero = int(ctx, "allowzero", 0) === 1;
  const shape = target.map((d, i) => (d === 0 && !allowZero ? (x[i] ?? 0) : d));
  const known = product(shape.filter((d) => d !== -1));
  const unknown = shape.indexOf(-1);
  if (unknown >= 0) shape[unknown] = known === 0 ? 0 : product(x) / known;
  return [{ shape, elemType: ctx.inputs[0]?.elemType, value: valuesOf(ctx, 0) }];
};

const transpose: ShapeRule = (ctx) => {
  const x = shapeOf(ctx, 0);
  const perm = ints(ctx, "perm") ?? x.map((_, i) => x.length - 1 - i);
  return [{ shape: perm.map((p) => x[p] ?? 0), elemType: ctx.inputs[0]?.elemType }];
};

const reduce: ShapeRule = (ctx) => {
  const x = shapeOf(ctx, 0);
  const fromInput = ctx.node.input.length > 1 && ctx.node.input[1] !== "";
  const axes = fromInput ? valuesOf(ctx, 1) : ints(ctx, "axes");
  if (fromInput && !axes) throw new Error("reduce axes unknown");
  const keep = int(ctx, "keepdims", 1) === 1;
  const noop = int(ctx, "noop_with_empty_axes", 0) === 1;
  const all = !axes || axes.length === 0;
  if (all && noop) return [{ shape: x, elemType: ctx.inputs[0]?.elemType }];
  const set = new Set((axes ?? []).map((a) => normAxis(a, x.length)));
  const shape: number[] = [];
  x.forEach((d, i) => {
    if (all || set.has(i)) {
      if (keep) shape.push(1);
    } else shape.push(d);
  });
  return [{ shape, elemType: ctx.inputs[0]?.elemType }];
};

const shapeOp: ShapeRule = (ctx) => {
  const x = shapeOf(ctx, 0);
  const start = normAxis(int(ctx, "start", 0), x.length);
  const endAttr = ctx.attr("end");
  const end = endAttr?.i === undefined ? x.length : normAxis(Number(endAttr.i), x.length);
  const value = x.slice(Math.max(0, start), Math.min(x.length, end));
  return [{ shape: [value.length], value, elemType: 7 }];
};

const gather: ShapeRule = (ctx) => {
  const data = shapeOf(ctx, 0);
  const indices = shapeOf(ctx, 1);
  const axis = normAxis(int(ctx, "axis", 0), data.length);
  const shape = [...data.slice(0, axis), ...indices, ...data.slice(axis + 1)];
  const out: ValueFacts = { shape, elemType: ctx.inputs[0]?.elemType };
  const dv = valuesOf(ctx, 0);
  const iv = valuesOf(ctx, 1);
  if (dv && iv && data.length === 1) out.value = iv.map((i) => dv[normAxis(i, data[0] ?? 0)] ?? 0);
  return [out];
};

function axesFor(ctx: ShapeRuleContext, sinceInputs: number): number[] | undefined {
  return ctx.opsetVersion >= sinceInputs ? valuesOf(ctx, 1) : ints(ctx, "axes");
}

const unsqueeze: ShapeRule = (ctx) => {
  const x = shapeOf(ctx, 0);
  const axes = axesFor(ctx, 13);
  if (!axes) throw new Error("unsqueeze axes unknown");
  const rank = x.length + axes.length;
  const set = new Set(axes.map((a) => normAxis(a, rank)));
  const shape: number[] = [];
  let j = 0;
  for (let i = 0; i < rank; i++) shape.push(set.has(i) ? 1 : (x[j++] ?? 1));
  return [{ shape, elemType: ctx.inputs[0]?.elemType, value: valuesOf(ctx, 0) }];
};

const squeeze: ShapeRule = (ctx) => {
  const x = shapeOf(ctx, 0);
  const axes = ctx.node.input.length > 1 || ctx.opsetVersion < 13 ? axesFor(ctx, 13) : undefined;
  const set = new Set((axes ?? x.flatMap((d, i) => (d === 1 ? [i] : []))).map((a) => normAxis(a, x.length)));
  return [
    { shape: x.filter((_, i) => !set.has(i)), elemType: ctx.inputs[0]?.elemType, value: valuesOf(ctx, 0) },
  ];
};

const concat: ShapeRule = (ctx) => {
  const shapes = ctx.inputs.map((f) => f?.shape);
  if (shapes.some((s) => !s)) throw new Error("unknown input shape");
  const first = shapes[0] as number[];
  const axis = normAxis(int(ctx, "axis", 0), first.length);
  const shape = [...first];
  shape[axis] = (shapes as number[][]).reduce((s, x) => s + (x[axis] ?? 0), 0);
  const out: ValueFacts = { shape, elemType: ctx.inputs[0]?.elemType };
  const values = ctx.inputs.map((f) => f?.value);
  if (first.length === 1 && values.every((v) => v)) out.value = (values as number[][]).flat();
  return [out];
};

const slice: ShapeRule = (ctx) => {
  const x = shapeOf(ctx, 0);
  const fromInputs = ctx.opsetVersion >= 10;
  const starts = fromInputs ? valuesOf(ctx, 1) : ints(ctx, "starts");
  const ends = fromInputs ? valuesOf(ctx, 2) : ints(ctx, "ends");
  if (!starts || !ends) throw new Error("slice bounds unknown");
  const axes =
    (fromInputs && ctx.node.input[3] ? valuesOf(ctx, 3) : ints(ctx, "axes")) ?? starts.map((_, i) => i);
  const steps = (fromInputs && ctx.node.input[4] ? valuesOf(ctx, 4) : undefined) ?? starts.map(() => 1);
  const shape = [...x];
  const ranges = x.map((d) => ({ start: 0, end: d, step: 1 }));
  axes.forEach((a, i) => {
    const axis = normAxis(a, x.length);
    const dim = x[axis] ?? 0;
    const step = steps[i] ?? 1;
    const clamp = (v: number, lo: number, hi: number) => Math.min(Math.max(v < 0 ? v + dim : v, lo), hi);
    const start = step > 0 ? clamp(starts[i] ?? 0, 0, dim) : clamp(starts[i] ?? 0, -1, dim - 1);
    const end = step > 0 ? clamp(ends[i] ?? dim, 0, dim) : clamp(ends[i] ?? -1, -1, dim - 1);
    shape[axis] = Math.max(0, Math.ceil((end - start) / step));
    ranges[axis] = { start, end, step };
  });
  const out: ValueFacts = { shape, elemType: ctx.inputs[0]?.elemType };
  const v = valuesOf(ctx, 0);
  const r = ranges[0];
  if (v && x.length === 1 && r) {
    out.value = [];
    for (let i = r.start; r.step > 0 ? i < r.end : i > r.end; i += r.step) out.value.push(v[i] ?? 0);
  }
  return [out];
};

const constant: ShapeRule = (ctx) => {
  const t = ctx.attr("value")?.t;
  if (t) return [getTensorFacts(t)];
  const f = ctx.attr("value_float")?.f;
  if (f !== undefined) return [{ shape: [], value: [f], elemType: 1 }];
  const i = ctx.attr("value_int")?.i;
  if (i !== undefined) return [{ shape: [], value: [Number(i)], elemType: 7 }];
  const is = ctx.attr("value_ints")?.ints;
  if (is) return [{ shape: [is.length], value: is.map(Number), elemType: 7 }];
  throw new Error("unsupported Constant");
};

const constantOfShape: ShapeRule = (ctx) => {
  const shape = valuesOf(ctx, 0);
  if (!shape) throw new Error("shape unknown");
  return [{ shape }];
};

const cast: ShapeRule = (ctx) => {
  const to = int(ctx, "to", 1);
  const v = valuesOf(ctx, 0);
  const isInt = [2, 3, 4, 5, 6, 7, 12, 13].includes(to);
  return [{ shape: shapeOf(ctx, 0), elemType: to, value: v && isInt ? v.map(Math.trunc) : v }];
};

const identity: ShapeRule = (ctx) => [ctx.inputs[0]];

const dynamicQuantize: ShapeRule = (ctx) => [
  { shape: shapeOf(ctx, 0), elemType: 2 },
  { shape: [] },
  { shape: [] },
];

const split: ShapeRule = (ctx) => {
  const x = shapeOf(ctx, 0);
  const axis = normAxis(int(ctx, "axis", 0), x.length);
  const parts =
    (ctx.opsetVersion >= 13 && ctx.node.input[1] ? valuesOf(ctx, 1) : ints(ctx, "split")) ??
    ctx.node.output.map(() => Math.ceil((x[axis] ?? 0) / ctx.node.output.length));
  return parts.map((p) => {
    const shape = [...x];
    shape[axis] = p;
    return { shape };
  });
};

const expand: ShapeRule = (ctx) => {
  const target = valuesOf(ctx, 1);
  if (!target) throw new Error("expand shape unknown");
  return [{ shape: broadcastShapes([shapeOf(ctx, 0), target]) }];
};

const UNARY = [
  "Relu",
  "Sigmoid",
  "Tanh",
  "Erf",
  "Sqrt",
  "Neg",
  "Exp",
  "Log",
  "Abs",
  "Clip",
  "LeakyRelu",
  "Elu",
  "Selu",
  "HardSigmoid",
  "HardSwish",
  "Gelu",
  "Softplus",
  "Softsign",
  "Dropout",
  "Softmax",
  "LogSoftmax",
  "Not",
  "Floor",
  "Ceil",
  "Round",
  "Reciprocal",
  "Sign",
  "BatchNormalization",
  "InstanceNormalization",
  "LayerNormalization",
  "LRN",
  "QuantizeLinear",
  "DequantizeLinear",
  "Mish",
  "Sin",
  "Cos",
  "IsNaN",
  "CumSum",
];
const BINARY = [
  "Pow",
  "Max",
  "Min",
  "Mean",
  "Sum",
  "Equal",
  "Less",
  "Greater",
  "LessOrEqual",
  "GreaterOrEqual",
  "And",
  "Or",
  "Xor",
  "Where",
  "PRelu",
  "Mod",
  "BitShift",
];

export const SHAPE_RULES: Record<string, ShapeRule> = {
  ...Object.fromEntries(UNARY.map((op) => [op, sameAsFirst])),
  ...Object.fromEntries(BINARY.map((op) => [op, elementwise()])),
  Add: elementwise((a, b) => a + b),
  Sub: elementwise((a, b) => a - b),
  Mul: elementwise((a, b) => a * b),
  Div: elementwise((a, b) => (Number.isInteger(a) && Number.isInteger(b) ? Math.trunc(a / b) : a / b)),
  Conv: conv,
  ConvInteger: conv,
  ConvTranspose: convTranspose,
  MaxPool: pool,
  AveragePool: pool,
  LpPool: pool,
  GlobalAveragePool: globalPool,
  GlobalMaxPool: globalPool,
  GlobalLpPool: globalPool,
  MatMul: matmul,
  MatMulInteger: matmul,
  Gemm: gemm,
  Flatten: flatten,
  Reshape: reshape,
  Transpose: transpose,
  ReduceMean: reduce,
  ReduceSum: reduce,
  ReduceMax: reduce,
  ReduceMin: reduce,
  ReduceProd: reduce,
  ReduceL2: reduce,
  Shape: shapeOp,
  Gather: gather,
  Unsqueeze: unsqueeze,
  Squeeze: squeeze,
  Concat: concat,
  Slice: slice,
  Constant: constant,
  ConstantOfShape: constantOfShape,
  Cast: cast,
  Identity: identity,
  DynamicQuantizeLinear: dynamicQuantize,
  Split: split,
  Expand: expand,
  // quantization ops last: their rules (element types, interleaved scale/zero-point inputs) win
  ...QUANT_SHAPE_RULES,
};
