/**
 * parseModel / serializeModel: bytes ⇄ the typed model in model.ts, through the reflected schema.
 * Conversion is generic over the schema so every declared field round-trips with its presence.
 */
import type protobuf from "protobufjs";
import { OnnxFormatError } from "../errors";
import type { Graph, OnnxModel, Tensor } from "./model";
import { getModelProtoType } from "./schema";
import { copyBytes } from "./tensor";

/** 64-bit fields that hold data and are kept as bigint; every other int64 becomes a number. */
const BIGINT_FIELDS = new Set(["i", "ints", "int64Data", "uint64Data"]);

/** Scalars the ONNX spec requires; filled with their default when a (sloppy) writer left them out. */
const REQUIRED_DEFAULTS: Record<string, Record<string, unknown>> = {
  "onnx.NodeProto": { opType: "" },
  "onnx.AttributeProto": { name: "", type: 0 },
  "onnx.ValueInfoProto": { name: "" },
  "onnx.TensorProto": { dataType: 0 },
  "onnx.OperatorSetIdProto": { version: 0 },
};

const FIX_EXPORT =
  "Export the model with torch.onnx.export (or tf2onnx / skl2onnx) and check that the file was fully uploaded.";

export interface ParseOptions {
  /** Accept tensors whose data lives in external files (their bytes are then not available). Default false. */
  allowExternalData?: boolean;
}

/** Parses ONNX bytes. Throws `OnnxFormatError` (ONNX_INVALID / ONNX_EXTERNAL_DATA) saying what is wrong. */
export function parseModel(bytes: Uint8Array, options: ParseOptions = {}): OnnxModel {
  if (bytes.byteLength === 0) {
    throw new OnnxFormatError(
      "ONNX_INVALID",
      `not an ONNX model: the file is empty (0 bytes). ${FIX_EXPORT}`,
    );
  }
  const sniffed = sniffOtherFormat(bytes);
  if (sniffed) {
    throw new OnnxFormatError(
      "ONNX_INVALID",
      `not an ONNX model: the file looks like ${sniffed}. ${FIX_EXPORT}`,
    );
  }
  const type = getModelProtoType();
  let message: protobuf.Message;
  try {
    message = type.decode(bytes);
  } catch (error) {
    const detail = error instanceof Error ? error.message : String(error);
    throw new OnnxFormatError(
      "ONNX_INVALID",
      `not an ONNX model: the bytes are not a complete ONNX protobuf (${detail}); the file may be truncated or corrupt. ${FIX_EXPORT}`,
      { cause: error },
    );
  }
  const missing = ["irVersion", "graph", "opsetImport"].filter((field) => !hasField(message, field));
  if (missing.length > 0) {
    throw new OnnxFormatError(
      "ONNX_INVALID",
      `not an ONNX model: the protobuf has no ${missing.map(protoName).join(", ")} (read ${bytes.byteLength} bytes). ${FIX_EXPORT}`,
    );
  }
  const model = fromMessage(type, message) as unknown as OnnxModel;
  if (!(model.irVersion > 0)) {
    throw new OnnxFormatError(
      "ONNX_INVALID",
      `not an ONNX model: ir_version is ${model.irVersion}. ${FIX_EXPORT}`,
    );
  }
  if (!options.allowExternalData) {
    const external = findExternalTensors(model);
    if (external.length > 0) {
      const names = external.slice(0, 3).map((t) => `'${t.name ?? "?"}'`);
      throw new OnnxFormatError(
        "ONNX_EXTERNAL_DATA",
        `the model keeps ${external.length} weight tensor(s) in external data files (${names.join(", ")}${external.length > 3 ? ", …" : ""}), ` +
          "which were not uploaded with it: re-export with the weights embedded, e.g. " +
          "onnx.save(model, path, save_as_external_data=False), and upload that single .onnx file (up to 2 GB).",
      );
    }
  }
  return model;
}

/** Tensors whose bytes live in external files: initializers and Constant values, subgraphs included. */
function findExternalTensors(model: OnnxModel): Tensor[] {
  const found: Tensor[] = [];
  const isExternal = (t: Tensor) => t.dataLocation === 1 || t.externalData.length > 0;
  const visit = (graph: Graph) => {
    for (const t of graph.initializer) if (isExternal(t)) found.push(t);
    for (const node of graph.node) {
      for (const a of node.attribute) {
        if (a.t && isExternal(a.t)) found.push(a.t);
        if (a.g) visit(a.g);
        for (const g of a.graphs) visit(g);
      }
    }
  };
  visit(model.graph);
  return found;
}

/** Serializes a typed model back to ONNX protobuf bytes. */
export function serializeModel(model: OnnxModel): Uint8Array {
  const type = getModelProtoType();
  return type.encode(toMessage(type, model as unknown as Record<string, unknown>)).finish();
}

function protoName(field: string): string {
  return field.replace(/[A-Z]/g, (c) => `_${c.toLowerCase()}`);
}

function hasField(message: protobuf.Message, field: string): boolean {
  const value = (message as unknown as Record<string, unknown>)[field];
  if (Array.isArray(value)) return value.length > 0;
  return Object.hasOwn(message, field) && value != null;
}

function sniffOtherFormat(bytes: Uint8Array): string | undefined {
  const head = String.fromCharCode(...bytes.subarray(0, 8));
  if (head.startsWith("\x89PNG")) return "a PNG image";
  if (head.startsWith("\xff\xd8\xff")) return "a JPEG image";
  if (head.startsWith("PK\x03\x04"))
    return "a zip archive (a PyTorch .pt checkpoint or .npz?), not an exported ONNX graph";
  if (head.startsWith("\x93NUMPY")) return "a NumPy .npy array";
  if (head.startsWith("\x1f\x8b")) return "a gzip archive; decompress it first";
  const text = head.trimStart();
  if (text.startsWith("{") || text.startsWith("[")) return "JSON text";
  if (text.startsWith("<")) return "HTML/XML text";
  return undefined;
}

type Plain = Record<string, unknown>;

interface LongLike {
  toString(): string;
  toNumber(): number;
}

function int64ToJs(value: unknown, asBigint: boolean): number | bigint {
  if (typeof value === "number") return asBigint ? BigInt(value) : value;
  const long = value as LongLike;
  return asBigint ? BigInt(long.toString()) : long.toNumber();
}

function jsToInt64(value: unknown): number | { low: number; high: number } {
  if (typeof value !== "bigint") return value as number;
  return { low: Number(BigInt.asIntN(32, value)), high: Number(BigInt.asIntN(32, value >> 32n)) };
}

function isInt64(field: protobuf.Field): boolean {
  return field.type === "int64" || field.type === "uint64";
}

function convertValue(field: protobuf.Field, value: unknown, decode: boolean): unknown {
  const resolved = field.resolvedType;
  if (resolved && "fields" in resolved) {
    return decode
      ? fromMessage(resolved as protobuf.Type, value)
      : toMessage(resolved as protobuf.Type, value as Plain);
  }
  if (isInt64(field)) return decode ? int64ToJs(value, BIGINT_FIELDS.has(field.name)) : jsToInt64(value);
  if (decode && field.type === "bytes") return copyBytes(value as Uint8Array);
  return value;
}

function fromMessage(type: protobuf.Type, message: unknown): Plain {
  const source = message as Plain;
  const out: Plain = {};
  for (const field of type.fieldsArray) {
    const value = source[field.name];
    if (field.repeated) {
      out[field.name] = ((value as unknown[] | undefined) ?? []).map((v) => convertValue(field, v, true));
    } else if (Object.hasOwn(source, field.name) && value != null) {
      out[field.name] = convertValue(field, value, true);
    }
  }
  const defaults = REQUIRED_DEFAULTS[type.fullName.replace(/^\./, "")];
  if (defaults) {
    for (const [key, value] of Object.entries(defaults)) out[key] ??= value;
  }
  return out;
}

function toMessage(type: protobuf.Type, source: Plain): Plain {
  const out: Plain = {};
  for (const field of type.fieldsArray) {
    const value = source[field.name];
    if (value === undefined || value === null) continue;
    if (field.repeated) {
      const list = value as unknown[];
      if (list.length > 0) out[field.name] = list.map((v) => convertValue(field, v, false));
    } else {
      out[field.name] = convertValue(field, value, false);
    }
  }
  return out;
}
