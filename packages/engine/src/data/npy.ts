/** NumPy .npy arrays (format versions 1–3): little-endian, C order, numeric and bool dtypes. */
import { NpyFormatError } from "../errors";

export const NPY_DTYPES = [
  "float32",
  "float64",
  "float16",
  "int8",
  "uint8",
  "int16",
  "uint16",
  "int32",
  "uint32",
  "int64",
  "uint64",
  "bool",
] as const;
export type NpyDtype = (typeof NPY_DTYPES)[number];

export type NpyData =
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

export interface NpyArray {
  name: string;
  dtype: NpyDtype;
  shape: number[];
  /** float16 is returned as raw Uint16 bits and bool as 0/1 bytes. */
  data: NpyData;
}

type Ctor = {
  new (buffer: ArrayBuffer, offset?: number, length?: number): NpyData;
  BYTES_PER_ELEMENT: number;
};

/** Type code (kind + size) → dtype and array type; the byte-order char is checked separately. */
const DTYPES: Record<string, { dtype: NpyDtype; ctor: Ctor }> = {
  f4: { dtype: "float32", ctor: Float32Array },
  f8: { dtype: "float64", ctor: Float64Array },
  f2: { dtype: "float16", ctor: Uint16Array },
  i1: { dtype: "int8", ctor: Int8Array },
  u1: { dtype: "uint8", ctor: Uint8Array },
  b1: { dtype: "bool", ctor: Uint8Array },
  i2: { dtype: "int16", ctor: Int16Array },
  u2: { dtype: "uint16", ctor: Uint16Array },
  i4: { dtype: "int32", ctor: Int32Array },
  u4: { dtype: "uint32", ctor: Uint32Array },
  i8: { dtype: "int64", ctor: BigInt64Array as unknown as Ctor },
  u8: { dtype: "uint64", ctor: BigUint64Array as unknown as Ctor },
};

const MAGIC = [0x93, 0x4e, 0x55, 0x4d, 0x50, 0x59]; // \x93NUMPY

export function isNpy(bytes: Uint8Array): boolean {
  return MAGIC.every((b, i) => bytes[i] === b);
}

/** Parses one .npy payload; `name` labels the array (and error messages). */
export function parseNpy(bytes: Uint8Array, name = "array"): NpyArray {
  const invalid = (why: string) =>
    new NpyFormatError("NPY_INVALID", `'${name}' is not a valid .npy array: ${why}`);
  if (!isNpy(bytes)) throw invalid("missing the \\x93NUMPY magic");
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const major = bytes[6];
  if (major === undefined || bytes.byteLength < 10) throw invalid("truncated header");
  let headerLength: number;
  let headerStart: number;
  if (major === 1) {
    headerLength = view.getUint16(8, true);
    headerStart = 10;
  } else if (major === 2 || major === 3) {
    if (bytes.byteLength < 12) throw invalid("truncated header");
    headerLength = view.getUint32(8, true);
    headerStart = 12;
  } else {
    throw new NpyFormatError(
      "NPY_UNSUPPORTED",
      `'${name}' uses .npy format version ${major}; versions 1–3 are supported`,
    );
  }
  const dataStart = headerStart + headerLength;
  if (dataStart > bytes.byteLength) throw invalid("truncated header");
  const header = new TextDecoder(major === 3 ? "utf-8" : "latin1").decode(
    bytes.subarray(headerStart, dataStart),
  );

  const descr = /'descr'\s*:\s*'([^']*)'/.exec(header)?.[1];
  const fortran = /'fortran_order'\s*:\s*(True|False)/.exec(header)?.[1];
  const shapeText = /'shape'\s*:\s*\(([^)]*)\)/.exec(header)?.[1];
  if (descr === undefined) {
    throw new NpyFormatError(
      "NPY_UNSUPPORTED",
      `'${name}' has a structured or unreadable dtype; save plain numeric arrays (np.save(path, a.astype(np.float32)))`,
    );
  }
  if (fortran === undefined || shapeText === undefined)
    throw invalid(`unreadable header ${JSON.stringify(header)}`);
  if (fortran === "True") {
    throw new NpyFormatError(
      "NPY_UNSUPPORTED",
      `'${name}' is stored in Fortran (column-major) order; save np.ascontiguousarray(a) instead`,
    );
  }
  const shape = shapeText
    .split(",")
    .map((s) => s.trim())
    .filter((s) => s !== "")
    .map((s) => Number(s.replace(/L$/, "")));
  if (shape.some((d) => !Number.isSafeInteger(d) || d < 0)) throw invalid(`bad shape (${shapeText})`);

  const order = descr[0] ?? "";
  const type = DTYPES[descr.slice(1)];
  if (!type) {
    throw new NpyFormatError(
      "NPY_UNSUPPORTED",
      `'${name}' has dtype '${descr}'; supported: ${NPY_DTYPES.join(", ")} (little-endian)`,
    );
  }
  const oneByte = type.ctor.BYTES_PER_ELEMENT === 1;
  if (order === ">" && !oneByte) {
    throw new NpyFormatError(
      "NPY_UNSUPPORTED",
      `'${name}' is big-endian ('${descr}'); save a little-endian copy (a.astype(a.dtype.newbyteorder('<')))`,
    );
  }
  if (!["<", "|", "="].includes(order) && !(order === ">" && oneByte)) throw invalid(`bad dtype '${descr}'`);

  const count = shape.reduce((a, b) => a * b, 1);
  const byteLength = count * type.ctor.BYTES_PER_ELEMENT;
  if (dataStart + byteLength > bytes.byteLength) {
    throw invalid(
      `data is truncated: shape (${shape.join(", ")}) needs ${byteLength} bytes, found ${bytes.byteLength - dataStart}`,
    );
  }
  const copy = new Uint8Array(byteLength);
  copy.set(bytes.subarray(dataStart, dataStart + byteLength));
  return { name, dtype: type.dtype, shape, data: new type.ctor(copy.buffer, 0, count) };
}
