/**
 * Node and initializer emitters shared by the dynamic-quantization rewrites: the run-time activation
 * quantizer, offline weight quantization, and the integer-output → float dequantization tail.
 */
import { createIntAttribute } from "../onnx/attributes";
import { createNode } from "../onnx/builder";
import { DATA_TYPE } from "../onnx/data-type";
import type { Node, Tensor } from "../onnx/model";
import { createTensor } from "../onnx/tensor";
import { quantizeSymmetric } from "./quantize-weights";

export interface Rewrite {
  nodes: Node[];
  initializers: Tensor[];
}

export interface RewriteContext {
  resolve: (name: string) => Tensor | undefined;
  newName: (base: string) => string;
  options: { perChannel: boolean; reduceRange: boolean; weightType: "int8" | "uint8" };
  /** Activation name → outputs of the DynamicQuantizeLinear already emitted for it. */
  quantizedActivations: Map<string, { q: string; scale: string; zeroPoint: string }>;
  /** Weight name (+ layout) → quantized initializer names, so shared weights are quantized once. */
  quantizedWeights: Map<string, { q: string; zeroPoint: string; scale: string }>;
}

export type Outcome = Rewrite | { skip: string };

export function baseName(node: Node): string {
  return node.name || node.output[0] || node.opType;
}

export function quantizeActivation(name: string, ctx: RewriteContext, nodes: Node[]) {
  const existing = ctx.quantizedActivations.get(name);
  if (existing) return existing;
  const base = `${name}_dq`;
  const outputs = {
    q: ctx.newName(`${base}_quantized`),
    scale: ctx.newName(`${base}_scale`),
    zeroPoint: ctx.newName(`${base}_zero_point`),
  };
  nodes.push(
    createNode("DynamicQuantizeLinear", [name], [outputs.q, outputs.scale, outputs.zeroPoint], {
      name: ctx.newName(`${base}_DynamicQuantizeLinear`),
    }),
  );
  ctx.quantizedActivations.set(name, outputs);
  return outputs;
}

/** Quantizes a float weight; `channels`/`axis` describe where output channels live in `data`. */
export function quantizeWeight(
  key: string,
  data: Float32Array,
  dims: number[],
  layout: { channels: number; axis: "last" | "first"; scaleDims: (channels: number) => number[] },
  extraScale: number,
  ctx: RewriteContext,
  initializers: Tensor[],
) {
  const cacheKey = `${key}|${dims.join("x")}|${extraScale}`;
  const existing = ctx.quantizedWeights.get(cacheKey);
  if (existing) return existing;
  const channels = ctx.options.perChannel ? layout.channels : 1;
  const { values, scales } = quantizeSymmetric(data, {
    channels,
    axis: layout.axis,
    qmax: ctx.options.reduceRange ? 63 : 127,
  });
  const names = {
    q: ctx.newName(`${key}_quantized`),
    zeroPoint: ctx.newName(`${key}_zero_point`),
    scale: ctx.newName(`${key}_scale`),
  };
  const scaled = extraScale === 1 ? scales : scales.map((s) => s * extraScale);
  const unsigned = ctx.options.weightType === "uint8";
  initializers.push(
    unsigned
      ? createTensor(
          names.q,
          DATA_TYPE.UINT8,
          dims,
          Uint8Array.from(values, (v) => v + 128),
        )
      : createTensor(names.q, DATA_TYPE.INT8, dims, values),
    unsigned
      ? createTensor(names.zeroPoint, DATA_TYPE.UINT8, [], Uint8Array.of(128))
      : createTensor(names.zeroPoint, DATA_TYPE.INT8, [], new Int8Array(1)),
    createTensor(names.scale, DATA_TYPE.FLOAT, channels === 1 ? [] : layout.scaleDims(channels), scaled),
  );
  ctx.quantizedWeights.set(cacheKey, names);
  return names;
}

/** Integer op output → Cast → Mul(activation scale × weight scale) [→ Add bias], ending at `output`. */
export function dequantizeOutput(
  integerOutput: string,
  activationScale: string,
  weightScale: string,
  bias: string | undefined,
  output: string,
  base: string,
  ctx: RewriteContext,
  nodes: Node[],
): void {
  const asFloat = ctx.newName(`${base}_output_float`);
  const scale = ctx.newName(`${base}_output_scale`);
  const scaled = bias ? ctx.newName(`${base}_output_scaled`) : output;
  nodes.push(
    createNode("Cast", [integerOutput], [asFloat], {
      name: ctx.newName(`${base}_Cast`),
      attributes: [createIntAttribute("to", DATA_TYPE.FLOAT)],
    }),
    createNode("Mul", [activationScale, weightScale], [scale], { name: ctx.newName(`${base}_ScaleMul`) }),
    createNode("Mul", [asFloat, scale], [scaled], { name: ctx.newName(`${base}_Mul`) }),
  );
  if (bias) nodes.push(createNode("Add", [scaled, bias], [output], { name: ctx.newName(`${base}_BiasAdd`) }));
}

export function floatWeight(name: string | undefined, ctx: RewriteContext): Tensor | { skip: string } {
  const tensor = name ? ctx.resolve(name) : undefined;
  if (!tensor) return { skip: "weight is not a constant" };
  if (tensor.dataType !== DATA_TYPE.FLOAT) return { skip: "weight is not float32" };
  return tensor;
}
