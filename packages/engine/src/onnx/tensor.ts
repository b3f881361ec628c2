/** Reading and creating TensorProto data. Everything is little-endian, row-major (ONNX's layout). */
import { OnnxFormatError } from "../errors";
import { DATA_TYPE, getBitsPerElement, getDataTypeName } from "./data-type";
import type { Tensor } from "./model";

export type TensorData =
  | Float32Array
  | Float64Array
  | Int8Array
  | Uint8Array
  | Int16Array
  | Uint16Array
  | Int32Array
  | Uint32Array
  | BigInt64Array
  | BigUint64Array;

type TypedArrayCtor = {
  new (buffer: ArrayBuffer, byteOffset?: number, length?: number): TensorData;
  new (length: number): TensorData;
  BYTES_PER_ELEMENT: number;
};

/** Typed array used for each element type; float16/bfloat16 come back as raw Uint16 bits, bool as 0/1 bytes. */
const ARRAY_FOR: Record<number, TypedArrayCtor> = {
  [DATA_TYPE.FLOAT]: Float32Array,
  [DATA_TYPE.DOUBLE]: Float64Array,
  [DATA_TYPE.INT8]: Int8Array,
  [DATA_TYPE.UINT8]: Uint8Array,
  [DATA_TYPE.BOOL]: Uint8Array,
  [DATA_TYPE.INT16]: Int16Array,
  [DATA_TYPE.UINT16]: Uint16Array,
  [DATA_TYPE.FLOAT16]: Uint16Array,
  [DATA_TYPE.BFLOAT16]: Uint16Array,
  [DATA_TYPE.INT32]: Int32Array,
  [DATA_TYPE.UINT32]: Uint32Array,
  [DATA_TYPE.INT64]: BigInt64Array as unknown as TypedArrayCtor,
  [DATA_TYPE.UINT64]: BigUint64Array as unknown as TypedArrayCtor,
};

/**
 * A copy in a plain Uint8Array that owns its whole ArrayBuffer (offset 0). Needed before viewing bytes
 * as wider typed arrays: Node Buffers are often slices of a shared pool, and `Buffer#slice` is a view.
 */
export function copyBytes(source: Uint8Array): Uint8Array {
  const out = new Uint8Array(source.byteLength);
  out.set(source);
  return out;
}

/** Number of elements (1 for a scalar with no dims). */
export function getElementCount(dims: readonly number[]): number {
  let count = 1;
  for (const d of dims) count *= d;
  return count;
}

/** Bytes the tensor's values occupy (not counting protobuf framing); strings count their bytes. */
export function getTensorByteSize(tensor: Tensor): number {
  if (tensor.dataType === DATA_TYPE.STRING) return tensor.stringData.reduce((s, b) => s + b.byteLength, 0);
  const bits = getBitsPerElement(tensor.dataType) ?? 0;
  return Math.ceil((getElementCount(tensor.dims) * bits) / 8);
}

function unsupported(tensor: Tensor, why: string): OnnxFormatError {
  return new OnnxFormatError(
    "ONNX_UNSUPPORTED",
    `tensor '${tensor.name ?? "?"}' (${getDataTypeName(tensor.dataType)}): ${why}`,
  );
}

/**
 * The tensor's values as a fresh typed array (safe to modify). Throws for strings, 4-bit/8-bit float
 * types, external data, or a payload whose size does not match the dims.
 */
export function getTensorData(tensor: Tensor): TensorData {
  const Ctor = ARRAY_FOR[tensor.dataType];
  if (!Ctor) throw unsupported(tensor, "reading values of this element type is not supported");
  if (tensor.dataLocation === 1) throw unsupported(tensor, "its data is stored in an external file");
  const count = getElementCount(tensor.dims);
  let out: TensorData;
  if (tensor.rawData) {
    if (tensor.rawData.byteLength !== count * Ctor.BYTES_PER_ELEMENT) {
      throw new OnnxFormatError(
        "ONNX_INVALID",
        `tensor '${tensor.name ?? "?"}' has ${tensor.rawData.byteLength} bytes of data but dims [${tensor.dims.join(", ")}] need ${count * Ctor.BYTES_PER_ELEMENT}`,
      );
    }
    out = new Ctor(copyBytes(tensor.rawData).buffer as ArrayBuffer, 0, count);
  } else {
    out = new Ctor(count);
    const source = pickTypedField(tensor);
    if (source.length !== count) {
      throw new OnnxFormatError(
        "ONNX_INVALID",
        `tensor '${tensor.name ?? "?"}' has ${source.length} values but dims [${tensor.dims.join(", ")}] need ${count}`,
      );
    }
    if (out instanceof BigInt64Array || out instanceof BigUint64Array) {
      for (let i = 0; i < count; i++) out[i] = BigInt(source[i] as number | bigint);
    } else {
      for (let i = 0; i < count; i++) out[i] = Number(source[i]);
    }
  }
  return out;
}

function pickTypedField(tensor: Tensor): readonly (number | bigint)[] {
  switch (tensor.dataType) {
    case DATA_TYPE.FLOAT:
      return tensor.floatData;
    case DATA_TYPE.DOUBLE:
      return tensor.doubleData;
    case DATA_TYPE.INT64:
      return tensor.int64Data;
    case DATA_TYPE.UINT32:
    case DATA_TYPE.UINT64:
      return tensor.uint64Data;
    default:
      return tensor.int32Data;
  }
}

/** Values as plain numbers (int64 converted with Number); for small constant tensors such as shapes and axes. */
export function getTensorNumbers(tensor: Tensor): number[] {
  return Array.from(getTensorData(tensor) as ArrayLike<number | bigint>, Number);
}

/** Builds a tensor whose payload is `raw_data` (the compact encoding ORT and exporters use). */
export function createTensor(
  name: string,
  dataType: number,
  dims: readonly number[],
  data: TensorData,
): Tensor {
  const count = getElementCount(dims);
  if (data.length !== count) {
    throw new RangeError(`createTensor(${name}): ${data.length} values for dims [${dims.join(", ")}]`);
  }
  const view = new Uint8Array(data.buffer, data.byteOffset, data.byteLength);
  return {
    name,
    dims: [...dims],
    dataType,
    rawData: copyBytes(view),
    floatData: [],
    int32Data: [],
    stringData: [],
    int64Data: [],
    doubleData: [],
    uint64Data: [],
    externalData: [],
    metadataProps: [],
  };
}

export function createFloatTensor(name: string, dims: readonly number[], values: ArrayLike<number>): Tensor {
  return createTensor(name, DATA_TYPE.FLOAT, dims, Float32Array.from(values));
}

export function createInt64Tensor(
  name: string,
  dims: readonly number[],
  values: ArrayLike<number | bigint>,
): Tensor {
  return createTensor(name, DATA_TYPE.INT64, dims, BigInt64Array.from(Array.from(values, (v) => BigInt(v))));
}

/** Transposes a row-major [rows, cols] matrix. */
export function transposeMatrix(data: Float32Array, rows: number, cols: number): Float32Array {
  const out = new Float32Array(data.length);
  for (let r = 0; r < rows; r++)
    for (let c = 0; c < cols; c++) out[c * rows + r] = data[r * cols + c] as number;
  return out;
}
