/**
 * Input tensors built from a variant manifest's input specs: symbolic (or negative) dims become 1, float inputs
 * take values from the input source (4-D ones [N, C, H, W] as images when the source can fill images), integer
 * inputs take token ids.
 */
import type { TensorSpec } from "@edgewatt/protocol";
import { Tensor } from "onnxruntime-node";
import { AgentError } from "../errors";
import type { InputSource } from "../inputs/input-source";

const MAX_ELEMENTS = 16 * 1024 * 1024;

export type FeedKind = "float32" | "float64" | "int64" | "int32";

export interface FeedPlan {
  name: string;
  kind: FeedKind;
  dims: number[];
  size: number;
}

const KINDS: Record<string, FeedKind> = {
  float32: "float32",
  float: "float32",
  "tensor(float)": "float32",
  float64: "float64",
  double: "float64",
  "tensor(double)": "float64",
  int64: "int64",
  "tensor(int64)": "int64",
  int32: "int32",
  "tensor(int32)": "int32",
};

export function planFeeds(specs: TensorSpec[]): FeedPlan[] {
  return specs.map((spec) => {
    const kind = KINDS[spec.elemType.toLowerCase()];
    if (!kind) {
      throw new AgentError(
        "UNSUPPORTED_INPUT",
        `input "${spec.name}" has element type ${spec.elemType}; this agent feeds float32, float64, int64 and int32 inputs`,
      );
    }
    const dims = spec.shape.map((d) => (typeof d === "number" && d > 0 ? d : 1));
    const size = dims.reduce((a, b) => a * b, 1);
    if (size > MAX_ELEMENTS) {
      throw new AgentError(
        "UNSUPPORTED_INPUT",
        `input "${spec.name}" has ${size} elements (shape [${dims}]); too large`,
      );
    }
    return { name: spec.name, kind, dims, size };
  });
}

function isNchw(dims: number[]): dims is [number, number, number, number] {
  return dims.length === 4;
}

function fillFloatInput(source: InputSource, data: Float32Array | Float64Array, dims: number[]): void {
  if (source.fillImage && isNchw(dims)) source.fillImage(data, dims);
  else source.fillFloats(data);
}

export function buildFeeds(plans: FeedPlan[], source: InputSource): Record<string, Tensor> {
  const feeds: Record<string, Tensor> = {};
  for (const plan of plans) {
    switch (plan.kind) {
      case "float32": {
        const data = new Float32Array(plan.size);
        fillFloatInput(source, data, plan.dims);
        feeds[plan.name] = new Tensor("float32", data, plan.dims);
        break;
      }
      case "float64": {
        const data = new Float64Array(plan.size);
        fillFloatInput(source, data, plan.dims);
        feeds[plan.name] = new Tensor("float64", data, plan.dims);
        break;
      }
      case "int64": {
        const data = new BigInt64Array(plan.size);
        source.fillTokens(data);
        feeds[plan.name] = new Tensor("int64", data, plan.dims);
        break;
      }
      case "int32": {
        const data = new Int32Array(plan.size);
        source.fillTokens(data);
        feeds[plan.name] = new Tensor("int32", data, plan.dims);
        break;
      }
    }
  }
  return feeds;
}
