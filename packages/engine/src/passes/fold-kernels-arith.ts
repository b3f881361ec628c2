/** Fold kernels that compute values: Cast, Add/Sub/Mul/Div (with broadcasting), Range, ConstantOfShape. */
import { findAttribute } from "../onnx/attributes";
import { DATA_TYPE } from "../onnx/data-type";
import { getElementCount, type TensorData } from "../onnx/tensor";
import {
  allocate,
  allocateFor,
  BIG_TYPES,
  type Elements,
  FLOAT_TYPES,
  FOLDABLE_TYPES,
  type FoldKernel,
  intOf,
  stridesOf,
  toConstValue,
  toIntegers,
} from "./fold-values";

const INT_RANGES: Record<number, [number, number]> = {
  [DATA_TYPE.INT8]: [-128, 127],
  [DATA_TYPE.UINT8]: [0, 255],
  [DATA_TYPE.INT16]: [-32768, 32767],
  [DATA_TYPE.UINT16]: [0, 65535],
  [DATA_TYPE.INT32]: [-2147483648, 2147483647],
  [DATA_TYPE.UINT32]: [0, 4294967295],
};

export const cast: FoldKernel = (node, [x]) => {
  const to = intOf(node, "to", 0);
  if (!x || !FOLDABLE_TYPES.has(to)) return undefined;
  const count = x.data.length;
  const out = allocateFor(to, count);
  if (!out) return undefined;
  const source = x.data as Elements;
  const fromFloat = FLOAT_TYPES.has(x.dataType);
  for (let i = 0; i < count; i++) {
    const v = source[i] as number | bigint;
    if (to === DATA_TYPE.BOOL) {
      (out as Elements)[i] = v === 0 || v === 0n ? 0 : 1;
    } else if (FLOAT_TYPES.has(to)) {
      (out as Elements)[i] = Number(v);
    } else if (BIG_TYPES.has(to)) {
      if (fromFloat && !Number.isFinite(v as number)) return undefined;
      const big = fromFloat ? BigInt(Math.trunc(v as number)) : BigInt(v);
      (out as Elements)[i] = to === DATA_TYPE.INT64 ? BigInt.asIntN(64, big) : BigInt.asUintN(64, big);
    } else {
      // narrowing: float → int truncates and must be in range (C++ leaves out-of-range undefined);
      // int → int wraps like a C++ static_cast
      const [lo, hi] = INT_RANGES[to] ?? [0, 1];
      if (fromFloat) {
        const t = Math.trunc(v as number);
        if (!Number.isFinite(t) || t < lo || t > hi) return undefined;
        (out as Elements)[i] = t;
      } else {
        const bits =
          to === DATA_TYPE.INT32 || to === DATA_TYPE.UINT32
            ? 32
            : to === DATA_TYPE.INT16 || to === DATA_TYPE.UINT16
              ? 16
              : 8;
        const signed = lo < 0;
        const wrapped = signed ? BigInt.asIntN(bits, BigInt(v)) : BigInt.asUintN(bits, BigInt(v));
        (out as Elements)[i] = Number(wrapped);
      }
    }
  }
  return [{ dataType: to, dims: [...x.dims], data: out }];
};

function broadcast(a: readonly number[], b: readonly number[]): number[] | undefined {
  const rank = Math.max(a.length, b.length);
  const out: number[] = [];
  for (let i = 0; i < rank; i++) {
    const x = a[a.length - rank + i] ?? 1;
    const y = b[b.length - rank + i] ?? 1;
    if (x !== y && x !== 1 && y !== 1) return undefined;
    out.push(x === 1 ? y : x);
  }
  return out;
}

/** Strides of `dims` aligned to `outDims`, 0 where the dim is broadcast. */
function broadcastStrides(dims: readonly number[], outDims: readonly number[]): number[] {
  const own = stridesOf(dims);
  const shift = outDims.length - dims.length;
  return outDims.map((_, i) => (i < shift || (dims[i - shift] ?? 1) === 1 ? 0 : (own[i - shift] ?? 0)));
}

type Arith = "Add" | "Sub" | "Mul" | "Div";

export function arithmetic(op: Arith): FoldKernel {
  return (_node, [a, b]) => {
    if (!a || !b || a.dataType !== b.dataType) return undefined;
    const outDims = broadcast(a.dims, b.dims);
    if (!outDims) return undefined;
    const out = allocate(a.data, getElementCount(outDims)) as Elements;
    const sa = broadcastStrides(a.dims, outDims);
    const sb = broadcastStrides(b.dims, outDims);
    const da = a.data as Elements;
    const db = b.data as Elements;
    const big = BIG_TYPES.has(a.dataType);
    const float = FLOAT_TYPES.has(a.dataType);
    if (!big && !float && a.dataType !== DATA_TYPE.INT32) return undefined;
    const rank = outDims.length;
    const index = new Array<number>(rank).fill(0);
    let ia = 0;
    let ib = 0;
    for (let o = 0; o < out.length; o++) {
      const x = da[ia] as number | bigint;
      const y = db[ib] as number | bigint;
      if (big) {
        const p = x as bigint;
        const q = y as bigint;
        if (op === "Div" && q === 0n) return undefined;
        out[o] = op === "Add" ? p + q : op === "Sub" ? p - q : op === "Mul" ? p * q : p / q;
      } else if (float) {
        const p = x as number;
        const q = y as number;
        out[o] = op === "Add" ? p + q : op === "Sub" ? p - q : op === "Mul" ? p * q : p / q;
      } else {
        const p = x as number;
        const q = y as number;
        if (op === "Div" && q === 0) return undefined;
        out[o] =
          op === "Add"
            ? (p + q) | 0
            : op === "Sub"
              ? (p - q) | 0
              : op === "Mul"
                ? Math.imul(p, q)
                : Math.trunc(p / q) | 0;
      }
      for (let d = rank - 1; d >= 0; d--) {
        index[d] = (index[d] ?? 0) + 1;
        ia += sa[d] ?? 0;
        ib += sb[d] ?? 0;
        if ((index[d] ?? 0) < (outDims[d] ?? 1)) break;
        ia -= (sa[d] ?? 0) * (outDims[d] ?? 1);
        ib -= (sb[d] ?? 0) * (outDims[d] ?? 1);
        index[d] = 0;
      }
    }
    return [{ dataType: a.dataType, dims: outDims, data: out as TensorData }];
  };
}

export const range: FoldKernel = (_node, [start, limit, delta]) => {
  if (!start || !limit || !delta) return undefined;
  const [s, l, d] = [start, limit, delta].map((v) => Number((v.data as Elements)[0]));
  if (s === undefined || l === undefined || d === undefined || d === 0) return undefined;
  const count = Math.max(Math.ceil((l - s) / d), 0);
  const out = allocateFor(start.dataType, count);
  if (!out || !Number.isFinite(count)) return undefined;
  // integers are exact; floats accumulate `value += delta` in the element type, as onnxruntime does
  let value = s;
  for (let i = 0; i < count; i++) {
    (out as Elements)[i] = BIG_TYPES.has(start.dataType) ? BigInt(s + i * d) : value;
    value = start.dataType === DATA_TYPE.FLOAT ? Math.fround(value + d) : value + d;
  }
  return [{ dataType: start.dataType, dims: [count], data: out }];
};

export const constantOfShape: FoldKernel = (node, [shapeValue]) => {
  const dims = toIntegers(shapeValue);
  if (!dims) return undefined;
  const t = findAttribute(node, "value")?.t;
  const fill = t ? toConstValue(t) : { dataType: DATA_TYPE.FLOAT, dims: [1], data: new Float32Array(1) };
  if (!fill) return undefined;
  const out = allocate(fill.data, getElementCount(dims));
  (out as unknown as { fill(v: number | bigint): void }).fill((fill.data as Elements)[0] as number | bigint);
  return [{ dataType: fill.dataType, dims, data: out }];
};
