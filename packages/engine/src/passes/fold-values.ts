/** Constant values as the fold kernels see them, and the helpers the kernels share. */
import { findAttribute, findIntsAttribute } from "../onnx/attributes";
import { DATA_TYPE } from "../onnx/data-type";
import type { Node, Tensor } from "../onnx/model";
import { getTensorData, type TensorData } from "../onnx/tensor";

export interface ConstValue {
  dataType: number;
  dims: number[];
  data: TensorData;
}

export type FoldKernel = (
  node: Node,
  inputs: (ConstValue | undefined)[],
  opset: number,
) => ConstValue[] | undefined;

export type Elements = { length: number; [index: number]: number | bigint };

export const FLOAT_TYPES = new Set<number>([DATA_TYPE.FLOAT, DATA_TYPE.DOUBLE]);
export const BIG_TYPES = new Set<number>([DATA_TYPE.INT64, DATA_TYPE.UINT64]);
const SMALL_INT_TYPES = new Set<number>([
  DATA_TYPE.INT8,
  DATA_TYPE.UINT8,
  DATA_TYPE.INT16,
  DATA_TYPE.UINT16,
  DATA_TYPE.INT32,
  DATA_TYPE.UINT32,
  DATA_TYPE.BOOL,
]);
/** Element types a kernel may read or produce (float16/bfloat16/float8/int4/string are left to the runtime). */
export const FOLDABLE_TYPES = new Set<number>([...FLOAT_TYPES, ...BIG_TYPES, ...SMALL_INT_TYPES]);

export function toConstValue(tensor: Tensor): ConstValue | undefined {
  if (!FOLDABLE_TYPES.has(tensor.dataType) || tensor.dataLocation === 1) return undefined;
  return { dataType: tensor.dataType, dims: [...tensor.dims], data: getTensorData(tensor) };
}

export function allocate(like: TensorData, count: number): TensorData {
  const Ctor = like.constructor as new (length: number) => TensorData;
  return new Ctor(count);
}

export function allocateFor(dataType: number, count: number): TensorData | undefined {
  switch (dataType) {
    case DATA_TYPE.FLOAT:
      return new Float32Array(count);
    case DATA_TYPE.DOUBLE:
      return new Float64Array(count);
    case DATA_TYPE.INT8:
      return new Int8Array(count);
    case DATA_TYPE.UINT8:
    case DATA_TYPE.BOOL:
      return new Uint8Array(count);
    case DATA_TYPE.INT16:
      return new Int16Array(count);
    case DATA_TYPE.UINT16:
      return new Uint16Array(count);
    case DATA_TYPE.INT32:
      return new Int32Array(count);
    case DATA_TYPE.UINT32:
      return new Uint32Array(count);
    case DATA_TYPE.INT64:
      return new BigInt64Array(count);
    case DATA_TYPE.UINT64:
      return new BigUint64Array(count);
    default:
      return undefined;
  }
}

export function stridesOf(dims: readonly number[]): number[] {
  const strides = new Array<number>(dims.length).fill(1);
  for (let i = dims.length - 2; i >= 0; i--) strides[i] = (strides[i + 1] ?? 1) * (dims[i + 1] ?? 1);
  return strides;
}

/** Small integer vector (axes, shapes, indices) from a constant; undefined when not integral. */
export function toIntegers(value: ConstValue | undefined): number[] | undefined {
  if (!value || FLOAT_TYPES.has(value.dataType)) return undefined;
  return Array.from(value.data as Elements, (v) => Number(v));
}

export const normalize = (axis: number, rank: number) => (axis < 0 ? axis + rank : axis);

export function intsOf(node: Node, name: string): number[] | undefined {
  return findIntsAttribute(node, name);
}

export function intOf(node: Node, name: string, fallback: number): number {
  const i = findAttribute(node, name)?.i;
  return i === undefined ? fallback : Number(i);
}
