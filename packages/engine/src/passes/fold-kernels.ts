/**
 * TypeScript implementations of the ops constant folding evaluates (fold-constants.ts): Identity,
 * Constant, Cast, Gather, Unsqueeze, Squeeze, Concat, Reshape, Transpose, Slice, Range, Flatten,
 * ConstantOfShape and Add/Sub/Mul/Div. Each kernel returns undefined when it cannot reproduce ONNX
 * semantics exactly for its inputs (unsupported type, out-of-range index, integer division by zero…),
 * and the node is then left in the graph for the runtime.
 */
import { findAttribute } from "../onnx/attributes";
import { DATA_TYPE } from "../onnx/data-type";
import type { Node } from "../onnx/model";
import { getElementCount, type TensorData } from "../onnx/tensor";
import { arithmetic, cast, constantOfShape, range } from "./fold-kernels-arith";
import {
  allocate,
  type ConstValue,
  type Elements,
  type FoldKernel,
  intOf,
  intsOf,
  normalize,
  stridesOf,
  toConstValue,
  toIntegers,
} from "./fold-values";

export { type ConstValue, type FoldKernel, toConstValue, toIntegers } from "./fold-values";

const identity: FoldKernel = (_node, [x]) => (x ? [x] : undefined);

const constant: FoldKernel = (node) => {
  const a = node.attribute[0];
  if (!a || node.attribute.length !== 1) return undefined;
  if (a.name === "value" && a.t) {
    const value = toConstValue(a.t);
    return value ? [value] : undefined;
  }
  if (a.name === "value_float" && a.f !== undefined)
    return [{ dataType: DATA_TYPE.FLOAT, dims: [], data: Float32Array.of(a.f) }];
  if (a.name === "value_floats")
    return [{ dataType: DATA_TYPE.FLOAT, dims: [a.floats.length], data: Float32Array.from(a.floats) }];
  if (a.name === "value_int" && a.i !== undefined)
    return [{ dataType: DATA_TYPE.INT64, dims: [], data: BigInt64Array.of(a.i) }];
  if (a.name === "value_ints")
    return [{ dataType: DATA_TYPE.INT64, dims: [a.ints.length], data: BigInt64Array.from(a.ints) }];
  return undefined;
};

const gather: FoldKernel = (node, [data, indicesValue]) => {
  const indices = toIntegers(indicesValue);
  if (!data || !indicesValue || !indices) return undefined;
  const rank = data.dims.length;
  const axis = normalize(intOf(node, "axis", 0), rank);
  const axisDim = data.dims[axis] ?? 0;
  if (axis < 0 || axis >= rank) return undefined;
  const outer = getElementCount(data.dims.slice(0, axis));
  const inner = getElementCount(data.dims.slice(axis + 1));
  const outDims = [...data.dims.slice(0, axis), ...indicesValue.dims, ...data.dims.slice(axis + 1)];
  const out = allocate(data.data, getElementCount(outDims)) as Elements;
  const source = data.data as Elements;
  let o = 0;
  for (let a = 0; a < outer; a++) {
    for (const raw of indices) {
      const index = raw < 0 ? raw + axisDim : raw;
      if (index < 0 || index >= axisDim) return undefined;
      const base = (a * axisDim + index) * inner;
      for (let k = 0; k < inner; k++) out[o++] = source[base + k] as number | bigint;
    }
  }
  return [{ dataType: data.dataType, dims: outDims, data: out as TensorData }];
};

function axesFrom(node: Node, inputs: (ConstValue | undefined)[], opset: number, since: number) {
  if (opset >= since) return node.input[1] ? toIntegers(inputs[1]) : undefined;
  return intsOf(node, "axes");
}

const unsqueeze: FoldKernel = (node, inputs, opset) => {
  const [x] = inputs;
  const axes = axesFrom(node, inputs, opset, 13);
  if (!x || !axes) return undefined;
  const rank = x.dims.length + axes.length;
  const set = new Set(axes.map((a) => normalize(a, rank)));
  const dims: number[] = [];
  let j = 0;
  for (let i = 0; i < rank; i++) dims.push(set.has(i) ? 1 : (x.dims[j++] ?? 1));
  return [{ ...x, dims }];
};

const squeeze: FoldKernel = (node, inputs, opset) => {
  const [x] = inputs;
  if (!x) return undefined;
  const explicit = opset >= 13 ? node.input[1] : findAttribute(node, "axes");
  const axes = explicit ? axesFrom(node, inputs, opset, 13) : x.dims.flatMap((d, i) => (d === 1 ? [i] : []));
  if (!axes) return undefined;
  const set = new Set(axes.map((a) => normalize(a, x.dims.length)));
  if ([...set].some((a) => x.dims[a] !== 1)) return undefined;
  return [{ ...x, dims: x.dims.filter((_, i) => !set.has(i)) }];
};

const concat: FoldKernel = (node, inputs) => {
  const parts = inputs.filter((v): v is ConstValue => v !== undefined);
  const first = parts[0];
  if (!first || parts.length !== inputs.length || parts.some((p) => p.dataType !== first.dataType))
    return undefined;
  const rank = first.dims.length;
  const axis = normalize(intOf(node, "axis", 0), rank);
  const outDims = [...first.dims];
  outDims[axis] = parts.reduce((s, p) => s + (p.dims[axis] ?? 0), 0);
  const outer = getElementCount(first.dims.slice(0, axis));
  const out = allocate(first.data, getElementCount(outDims)) as Elements;
  let o = 0;
  for (let a = 0; a < outer; a++) {
    for (const p of parts) {
      const chunk = getElementCount(p.dims.slice(axis));
      const source = p.data as Elements;
      for (let k = 0; k < chunk; k++) out[o++] = source[a * chunk + k] as number | bigint;
    }
  }
  return [{ dataType: first.dataType, dims: outDims, data: out as TensorData }];
};

const reshape: FoldKernel = (node, [x, shapeValue]) => {
  const target = toIntegers(shapeValue);
  if (!x || !target) return undefined;
  const allowZero = intOf(node, "allowzero", 0) === 1;
  const dims = target.map((d, i) => (d === 0 && !allowZero ? (x.dims[i] ?? 0) : d));
  const unknown = dims.indexOf(-1);
  const count = x.data.length;
  if (unknown >= 0) {
    const known = getElementCount(dims.filter((d) => d !== -1));
    if (known === 0 || count % known !== 0) return undefined;
    dims[unknown] = count / known;
  }
  if (getElementCount(dims) !== count) return undefined;
  return [{ ...x, dims }];
};

const flatten: FoldKernel = (node, [x]) => {
  if (!x) return undefined;
  const axis = normalize(intOf(node, "axis", 1), x.dims.length);
  return [{ ...x, dims: [getElementCount(x.dims.slice(0, axis)), getElementCount(x.dims.slice(axis))] }];
};

export function transposeValue(x: ConstValue, perm: readonly number[]): ConstValue {
  const rank = x.dims.length;
  const outDims = perm.map((p) => x.dims[p] ?? 1);
  const inStrides = stridesOf(x.dims);
  const permStrides = perm.map((p) => inStrides[p] ?? 0);
  const out = allocate(x.data, x.data.length) as Elements;
  const source = x.data as Elements;
  const index = new Array<number>(rank).fill(0);
  let offset = 0;
  for (let o = 0; o < out.length; o++) {
    out[o] = source[offset] as number | bigint;
    for (let d = rank - 1; d >= 0; d--) {
      index[d] = (index[d] ?? 0) + 1;
      offset += permStrides[d] ?? 0;
      if ((index[d] ?? 0) < (outDims[d] ?? 1)) break;
      offset -= (permStrides[d] ?? 0) * (outDims[d] ?? 1);
      index[d] = 0;
    }
  }
  return { dataType: x.dataType, dims: outDims, data: out as TensorData };
}

const transpose: FoldKernel = (node, [x]) => {
  if (!x) return undefined;
  const perm = intsOf(node, "perm") ?? x.dims.map((_, i) => x.dims.length - 1 - i);
  if (perm.length !== x.dims.length) return undefined;
  return [transposeValue(x, perm)];
};

/** Per-axis [start, step, count] of a Slice, clamped as ONNX specifies. */
export function sliceRanges(
  dims: readonly number[],
  starts: readonly number[],
  ends: readonly number[],
  axes: readonly number[] | undefined,
  steps: readonly number[] | undefined,
): { start: number; step: number; count: number }[] | undefined {
  const ranges = dims.map((d) => ({ start: 0, step: 1, count: d }));
  const list = axes ?? starts.map((_, i) => i);
  for (let i = 0; i < list.length; i++) {
    const axis = normalize(list[i] ?? 0, dims.length);
    const dim = dims[axis];
    const step = steps?.[i] ?? 1;
    if (dim === undefined || step === 0) return undefined;
    let start = starts[i] ?? 0;
    let end = ends[i] ?? dim;
    if (start < 0) start += dim;
    if (end < 0) end += dim;
    if (step > 0) {
      start = Math.min(Math.max(start, 0), dim);
      end = Math.min(Math.max(end, 0), dim);
    } else {
      start = Math.min(Math.max(start, -1), dim - 1);
      end = Math.min(Math.max(end, -1), dim - 1);
    }
    ranges[axis] = { start, step, count: Math.max(0, Math.ceil((end - start) / step)) };
  }
  return ranges;
}

const slice: FoldKernel = (node, inputs, opset) => {
  const x = inputs[0];
  if (!x) return undefined;
  const fromInputs = opset >= 10;
  const starts = fromInputs ? toIntegers(inputs[1]) : intsOf(node, "starts");
  const ends = fromInputs ? toIntegers(inputs[2]) : intsOf(node, "ends");
  const axes = fromInputs ? (node.input[3] ? toIntegers(inputs[3]) : undefined) : intsOf(node, "axes");
  const steps = fromInputs && node.input[4] ? toIntegers(inputs[4]) : undefined;
  if (!starts || !ends || (fromInputs && node.input[3] && !axes) || (node.input[4] && !steps))
    return undefined;
  const ranges = sliceRanges(x.dims, starts, ends, axes, steps);
  if (!ranges) return undefined;
  const outDims = ranges.map((r) => r.count);
  const strides = stridesOf(x.dims);
  const out = allocate(x.data, getElementCount(outDims)) as Elements;
  const source = x.data as Elements;
  const rank = outDims.length;
  const index = new Array<number>(rank).fill(0);
  for (let o = 0; o < out.length; o++) {
    let offset = 0;
    for (let d = 0; d < rank; d++) {
      const r = ranges[d] as { start: number; step: number };
      offset += (r.start + (index[d] ?? 0) * r.step) * (strides[d] ?? 0);
    }
    out[o] = source[offset] as number | bigint;
    for (let d = rank - 1; d >= 0; d--) {
      index[d] = (index[d] ?? 0) + 1;
      if ((index[d] ?? 0) < (outDims[d] ?? 1)) break;
      index[d] = 0;
    }
  }
  return [{ dataType: x.dataType, dims: outDims, data: out as TensorData }];
};

export const FOLD_KERNELS: Readonly<Record<string, FoldKernel>> = {
  Identity: identity,
  Constant: constant,
  Cast: cast,
  Gather: gather,
  Unsqueeze: unsqueeze,
  Squeeze: squeeze,
  Concat: concat,
  Reshape: reshape,
  Flatten: flatten,
  Transpose: transpose,
  Slice: slice,
  Range: range,
  ConstantOfShape: constantOfShape,
  Add: arithmetic("Add"),
  Sub: arithmetic("Sub"),
  Mul: arithmetic("Mul"),
  Div: arithmetic("Div"),
};
