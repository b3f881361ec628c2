/**
 * Tensors as JSON for the local API. A request input is `{ "dims": [1, 64], "data": [ … ] }` (numbers) or
 * `{ "dims": […], "base64": "…" }` (the raw little-endian bytes of the model's element type); outputs come back
 * as `{ "type": "float32", "dims": […], "data": [ … ] }`.
 */
import type { TensorSpec } from "@edgewatt/protocol";
import { Tensor } from "onnxruntime-node";
import { type FeedKind, planFeeds } from "../runtime/feeds";

export const MAX_INPUT_ELEMENTS = 4 * 1024 * 1024;

/** A request the caller must fix (HTTP 400); the message says what is wrong and what is expected. */
export class BadRequestError extends Error {
  readonly code = "BAD_REQUEST";
}

const BYTES: Record<FeedKind, number> = { float32: 4, float64: 8, int64: 8, int32: 4 };

function describeSpec(spec: TensorSpec): string {
  return `${spec.elemType} [${spec.shape.map((d) => (typeof d === "number" && d > 0 ? d : String(d))).join(", ")}]`;
}

/** Checks `body` against the model's input specs and builds onnxruntime tensors. */
export function tensorsFromJson(body: unknown, specs: TensorSpec[]): Record<string, Tensor> {
  if (!body || typeof body !== "object" || Array.isArray(body)) {
    throw new BadRequestError(
      `"inputs" must be an object keyed by input name; this model takes ${specs.map((s) => `"${s.name}": ${describeSpec(s)}`).join(", ")}`,
    );
  }
  const given = body as Record<string, unknown>;
  const plans = planFeeds(specs);
  const unknown = Object.keys(given).filter((k) => !specs.some((s) => s.name === k));
  if (unknown.length > 0) {
    throw new BadRequestError(
      `unknown input${unknown.length > 1 ? "s" : ""} ${unknown.map((k) => `"${k}"`).join(", ")}; this model takes ${specs.map((s) => `"${s.name}"`).join(", ")}`,
    );
  }
  const out: Record<string, Tensor> = {};
  for (const [i, spec] of specs.entries()) {
    const plan = plans[i];
    if (!plan) continue;
    const value = given[spec.name];
    if (value === undefined) {
      throw new BadRequestError(`input "${spec.name}" is missing; expected ${describeSpec(spec)}`);
    }
    out[spec.name] = tensorFromJson(spec, plan.kind, value);
  }
  return out;
}

function tensorFromJson(spec: TensorSpec, kind: FeedKind, value: unknown): Tensor {
  const where = `input "${spec.name}"`;
  if (!value || typeof value !== "object" || Array.isArray(value)) {
    throw new BadRequestError(
      `${where} must be {"dims": [...], "data": [...]} or {"dims": [...], "base64": "..."}`,
    );
  }
  const v = value as { dims?: unknown; data?: unknown; base64?: unknown };
  if (!Array.isArray(v.dims) || !v.dims.every((d) => Number.isInteger(d) && d > 0)) {
    throw new BadRequestError(`${where}: "dims" must be an array of positive integers, e.g. [1, 64]`);
  }
  const dims = v.dims as number[];
  if (dims.length !== spec.shape.length) {
    throw new BadRequestError(`${where}: rank ${dims.length} given, the model expects ${describeSpec(spec)}`);
  }
  for (const [axis, want] of spec.shape.entries()) {
    if (typeof want === "number" && want > 0 && dims[axis] !== want) {
      throw new BadRequestError(
        `${where}: dimension ${axis} is ${dims[axis]}, the model expects ${describeSpec(spec)}`,
      );
    }
  }
  const size = dims.reduce((a, b) => a * b, 1);
  if (size > MAX_INPUT_ELEMENTS) {
    throw new BadRequestError(
      `${where}: ${size} elements is more than this API accepts (${MAX_INPUT_ELEMENTS})`,
    );
  }
  if (typeof v.base64 === "string") {
    const raw = Buffer.from(v.base64, "base64");
    if (raw.length !== size * BYTES[kind]) {
      throw new BadRequestError(
        `${where}: base64 holds ${raw.length} bytes; dims [${dims.join(", ")}] of ${kind} need ${size * BYTES[kind]}`,
      );
    }
    const copy = new Uint8Array(raw).buffer;
    const data =
      kind === "float32"
        ? new Float32Array(copy)
        : kind === "float64"
          ? new Float64Array(copy)
          : kind === "int64"
            ? new BigInt64Array(copy)
            : new Int32Array(copy);
    return new Tensor(kind, data, dims);
  }
  if (!Array.isArray(v.data)) {
    throw new BadRequestError(`${where}: give "data" (an array of ${size} numbers) or "base64"`);
  }
  const data = v.data as unknown[];
  if (data.length !== size) {
    throw new BadRequestError(
      `${where}: "data" has ${data.length} values; dims [${dims.join(", ")}] need ${size}`,
    );
  }
  const integer = kind === "int64" || kind === "int32";
  for (let k = 0; k < data.length; k++) {
    const x = data[k];
    if (typeof x !== "number" || !Number.isFinite(x) || (integer && !Number.isInteger(x))) {
      throw new BadRequestError(
        `${where}: data[${k}] is ${JSON.stringify(x)}; expected a finite ${integer ? "integer" : "number"}`,
      );
    }
  }
  const nums = data as number[];
  switch (kind) {
    case "float32":
      return new Tensor("float32", Float32Array.from(nums), dims);
    case "float64":
      return new Tensor("float64", Float64Array.from(nums), dims);
    case "int32":
      return new Tensor("int32", Int32Array.from(nums), dims);
    case "int64":
      return new Tensor(
        "int64",
        BigInt64Array.from(nums, (x) => BigInt(x)),
        dims,
      );
  }
}

export interface TensorJson {
  type: string;
  dims: readonly number[];
  data: number[];
}

/** onnxruntime outputs → JSON (int64 values as numbers; they are class ids and tokens, far below 2^53). */
export function tensorsToJson(outputs: Record<string, Tensor>): Record<string, TensorJson> {
  const out: Record<string, TensorJson> = {};
  for (const [name, t] of Object.entries(outputs)) {
    const data = t.data;
    let values: number[];
    if (data instanceof BigInt64Array || data instanceof BigUint64Array) values = Array.from(data, Number);
    else if (Array.isArray(data)) values = data.map(Number);
    else values = Array.from(data as ArrayLike<number>);
    out[name] = { type: t.type, dims: t.dims, data: values };
  }
  return out;
}
