/**
 * Synthetic inputs for a model without data: one array per input, generated from its spec with a seeded
 * PRNG. Floats are standard normal (the scale of normalised data); integer inputs are ids, uniform over
 * the range the model accepts — the table size when the input indexes a Gather on a weight table
 * (an embedding), else [0, 63]; bool is a fair coin. Symbolic dims: the first is the sample axis, others
 * take `defaultDim`. Figures measured on these say so: they are not real data.
 */
import type { NpyArray, NpyData, NpyDtype } from "../data/npy";
import { NPY_DTYPES } from "../data/npy";
import { EvaluationError } from "../errors";
import { getIntAttribute } from "../onnx/attributes";
import { inspectModel } from "../onnx/inspect";
import type { OnnxModel } from "../onnx/model";

export const DEFAULT_TOKEN_RANGE = 64;

export interface SyntheticDataOptions {
  samples: number;
  seed?: number;
  /** Value for symbolic dims other than the first; default 1. */
  defaultDim?: number;
}

/** mulberry32: small, fast, seeded; the same seed gives the same arrays on every run. */
function createRandom(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

function normal(next: () => number): number {
  const u = Math.max(next(), Number.EPSILON);
  return Math.sqrt(-2 * Math.log(u)) * Math.cos(2 * Math.PI * next());
}

/** number → IEEE 754 half bits (round to nearest; enough for synthetic values of moderate size). */
function toHalfBits(value: number): number {
  const f32 = new Float32Array([value]);
  const bits = new Uint32Array(f32.buffer)[0] as number;
  const sign = (bits >>> 16) & 0x8000;
  const exponent = ((bits >>> 23) & 0xff) - 127 + 15;
  const mantissa = bits & 0x7fffff;
  if (exponent <= 0) return sign;
  if (exponent >= 0x1f) return sign | 0x7c00;
  return sign | (exponent << 10) | Math.round(mantissa / 0x2000);
}

/** Exclusive upper bound for the ids an integer input accepts (see the module comment). */
export function findIdRange(model: OnnxModel, input: string): number {
  const tables = new Map(model.graph.initializer.map((t) => [t.name, t.dims]));
  let range: number | undefined;
  for (const node of model.graph.node) {
    if (node.opType !== "Gather" || node.input[1] !== input) continue;
    const dims = tables.get(node.input[0] ?? "");
    if (!dims) continue;
    const rank = dims.length;
    const axis = getIntAttribute(node, "axis", 0);
    const size = dims[axis < 0 ? axis + rank : axis];
    if (size !== undefined && size > 0) range = Math.min(range ?? Number(size), Number(size));
  }
  return range ?? DEFAULT_TOKEN_RANGE;
}

function fill(dtype: NpyDtype, count: number, next: () => number, idRange: number): NpyData {
  switch (dtype) {
    case "float32":
      return Float32Array.from({ length: count }, () => normal(next));
    case "float64":
      return Float64Array.from({ length: count }, () => normal(next));
    case "float16":
      return Uint16Array.from({ length: count }, () => toHalfBits(normal(next)));
    case "bool":
      return Uint8Array.from({ length: count }, () => (next() < 0.5 ? 0 : 1));
    case "int64":
      return BigInt64Array.from({ length: count }, () => BigInt(Math.floor(next() * idRange)));
    case "uint64":
      return BigUint64Array.from({ length: count }, () => BigInt(Math.floor(next() * idRange)));
    default: {
      const ctor = {
        int8: Int8Array,
        uint8: Uint8Array,
        int16: Int16Array,
        uint16: Uint16Array,
        int32: Int32Array,
        uint32: Uint32Array,
      }[dtype];
      const out = new ctor(count);
      for (let i = 0; i < count; i++) out[i] = Math.floor(next() * idRange);
      return out;
    }
  }
}

/** One array per model input, named after it, with `samples` entries on the first axis. */
export function createSyntheticArrays(
  model: OnnxModel,
  options: SyntheticDataOptions,
): Map<string, NpyArray> {
  const next = createRandom(options.seed ?? 0x5eed);
  const arrays = new Map<string, NpyArray>();
  for (const input of inspectModel(model, { sizeBytes: 0 }).inputs) {
    const dtype = input.elemType as NpyDtype;
    if (!NPY_DTYPES.includes(dtype)) {
      throw new EvaluationError(
        "DATA_MISMATCH",
        `cannot synthesise data for input '${input.name}' of type ${input.elemType}; supply evaluation data`,
      );
    }
    if (!input.shape) {
      throw new EvaluationError(
        "DATA_MISMATCH",
        `input '${input.name}' has no shape, so no data can be synthesised for it; supply evaluation data`,
      );
    }
    const shape = input.shape.map((d, i) =>
      typeof d === "number" ? d : i === 0 ? options.samples : (options.defaultDim ?? 1),
    );
    if (typeof input.shape[0] === "number" && shape[0] !== undefined) {
      shape[0] = Math.max(1, Math.ceil(options.samples / shape[0])) * shape[0];
    }
    const idRange = dtype.startsWith("int") || dtype.startsWith("uint") ? findIdRange(model, input.name) : 0;
    const count = shape.reduce((a, b) => a * b, 1);
    arrays.set(input.name, { name: input.name, dtype, shape, data: fill(dtype, count, next, idRange) });
  }
  return arrays;
}

/** How the arrays were made, for reports. */
export function describeSyntheticArrays(model: OnnxModel, arrays: ReadonlyMap<string, NpyArray>): string {
  return [...arrays.values()]
    .map((a) =>
      a.dtype.startsWith("float")
        ? `${a.name}: standard normal`
        : a.dtype === "bool"
          ? `${a.name}: random bool`
          : `${a.name}: uniform ids in [0, ${findIdRange(model, a.name) - 1}]`,
    )
    .join("; ");
}
