/**
 * quantize-dynamic-int8: weights quantized offline to 8 bits (symmetric, per output channel by default),
 * activations quantized at run time by DynamicQuantizeLinear. Rewrites
 *
 *   MatMul(A, B) / Gemm(A, B, C)  →  DynamicQuantizeLinear(A) → MatMulInteger(A_q, B_q, A_zp, B_zp)
 *                                    → Cast(float) → Mul(A_scale × B_scale) [→ Add(bias)]
 *   Conv(X, W, B)                 →  DynamicQuantizeLinear(X) → ConvInteger(X_q, W_q, X_zp, W_zp)
 *                                    → Cast(float) → Mul(X_scale × W_scale[M,1,…]) [→ Add(B[M,1,…])]
 *
 * for constant float32 weights, then drops the fp32 weights nobody reads any more.
 *
 * Weight storage (measured with onnxruntime-node 1.30 on an AVX2 CPU without VNNI): the symmetric
 * grid q ∈ [-127, 127] is stored by default as uint8 q + 128 with a scalar zero point 128. Stored as
 * int8 (zero point 0) the u8×s8 kernels saturate int16 partial sums on such CPUs (sensor-gpt output
 * cosine 0.995 instead of 0.9998) and ORT's ConvInteger runs ~2× slower; the values and size are the
 * same either way. ORT's CPU ConvInteger accepts only a scalar weight zero point, which symmetric
 * quantization satisfies while keeping per-channel scales (applied after the integer op).
 *
 * Needs default opset ≥ 11 (DynamicQuantizeLinear); older models are raised to 11 when no op in them
 * changed meaning in between, otherwise the pass fails with OPSET_UNSUPPORTED.
 */
import { PassError } from "../errors";
import { getFloatAttribute, getIntAttribute } from "../onnx/attributes";
import { createNode } from "../onnx/builder";
import { createConstantResolver } from "../onnx/constants";
import { DATA_TYPE } from "../onnx/data-type";
import {
  createNameGenerator,
  findDefaultOpsetVersion,
  removeUnusedNodesAndInitializers,
} from "../onnx/graph";
import type { Node, OnnxModel, Tensor } from "../onnx/model";
import { findOpsetUpgradeBlockers, raiseDefaultOpset } from "../onnx/opset";
import { createTensor, getTensorData, transposeMatrix } from "../onnx/tensor";
import type { Pass, PassContext } from "../types";
import { compactConstants } from "./compact-constants";
import {
  baseName,
  dequantizeOutput,
  floatWeight,
  type Outcome,
  quantizeActivation,
  quantizeWeight,
  type RewriteContext,
} from "./dynamic-quant-nodes";
import { quantizeGatherWeights } from "./quantize-gather-weights";

export const QUANTIZABLE_OPS = ["MatMul", "Gemm", "Conv"] as const;
export type QuantizableOp = (typeof QUANTIZABLE_OPS)[number];

export interface QuantizeDynamicInt8Options {
  /** Ops to quantize; default all of QUANTIZABLE_OPS. */
  ops?: readonly QuantizableOp[];
  /** One scale per output channel (default) instead of one per tensor. */
  perChannel?: boolean;
  /**
   * Quantize weights to 7 bits (±63): the usual fix for u8×s8 saturation when `weightType` is 'int8',
   * at a small precision cost. Default false.
   */
  reduceRange?: boolean;
  /**
   * Storage of the quantized weights: 'uint8' (symmetric grid shifted by 128, zero point 128; runs on the
   * u8×u8 kernels, default) or 'int8' (zero point 0; u8×s8 kernels, which saturate on x86 without VNNI).
   */
  weightType?: "int8" | "uint8";
  /** Node names to leave in float. */
  excludeNodes?: readonly string[];
  /**
   * Also store embedding tables (constant tables read only by Gather on axis 0 or by Slice) as uint8 with
   * one scale per row, dequantized by a standard DequantizeLinear (quantize-gather-weights.ts). Default true: on sensor-gpt it
   * takes the variant from 0.417× to 0.346× of fp32 for +0.02 % NLL (bench:quant).
   */
  quantizeEmbeddings?: boolean;
  /** Re-encode large constants losslessly where possible (bool + Where, float16 + Cast; compact-constants.ts). Default true (bit-identical values). */
  compactConstants?: boolean;
}

const REQUIRED_OPSET = 11;

export function createQuantizeDynamicInt8Pass(options: QuantizeDynamicInt8Options = {}): Pass {
  const ops = new Set<string>(options.ops ?? QUANTIZABLE_OPS);
  const exclude = new Set(options.excludeNodes ?? []);
  return {
    name: "quantize-dynamic-int8",
    variantName: "int8-dynamic",
    description:
      "8-bit weights (symmetric, per channel) with activations quantized at run time for MatMul, Gemm and Conv",
    run(input: OnnxModel, context: PassContext): OnnxModel {
      const model = structuredClone(input);
      ensureOpset(model, context);
      const ctx: RewriteContext = {
        resolve: createConstantResolver(model),
        newName: createNameGenerator(model),
        options: {
          perChannel: options.perChannel ?? true,
          reduceRange: options.reduceRange ?? false,
          weightType: options.weightType ?? "uint8",
        },
        quantizedActivations: new Map(),
        quantizedWeights: new Map(),
      };
      const counts: Record<string, number> = {};
      const skipped: string[] = [];
      const nodes: Node[] = [];
      const initializers: Tensor[] = [];
      for (const node of model.graph.node) {
        const inDefaultDomain = !node.domain || node.domain === "ai.onnx";
        if (!inDefaultDomain || !ops.has(node.opType) || exclude.has(node.name ?? "")) {
          nodes.push(node);
          continue;
        }
        const outcome = rewriteNode(node, ctx);
        if ("skip" in outcome) {
          skipped.push(`${node.opType} '${node.name || node.output[0]}': ${outcome.skip}`);
          nodes.push(node);
          continue;
        }
        counts[node.opType] = (counts[node.opType] ?? 0) + 1;
        nodes.push(...outcome.nodes);
        initializers.push(...outcome.initializers);
      }
      const total = Object.values(counts).reduce((a, b) => a + b, 0);
      if (total === 0) {
        throw new PassError(
          "PASS_NOT_APPLICABLE",
          `quantize-dynamic-int8 found nothing to quantize: no ${[...ops].join("/")} node with a constant float32 weight` +
            (skipped.length ? ` (skipped: ${skipped.slice(0, 3).join("; ")})` : ""),
        );
      }
      model.graph.node = nodes;
      model.graph.initializer.push(...initializers);
      const removed = removeUnusedNodesAndInitializers(model.graph);
      context.log(
        `quantized ${Object.entries(counts)
          .map(([op, n]) => `${n} ${op}`)
          .join(", ")}; removed ${removed.initializers} fp32 weight(s)`,
      );
      for (const line of skipped) context.log(`kept in float: ${line}`);
      if (options.quantizeEmbeddings ?? true) {
        const report = quantizeGatherWeights(model, { format: "uint8-rows", excludeNodes: exclude });
        for (const line of report.quantized) context.log(`embedding table ${line}`);
        for (const line of report.skipped) context.log(`embedding table kept in float: ${line}`);
      }
      if (options.compactConstants ?? true) for (const line of compactConstants(model)) context.log(line);
      return model;
    },
  };
}

export const quantizeDynamicInt8Pass: Pass = createQuantizeDynamicInt8Pass();

function ensureOpset(model: OnnxModel, context: PassContext): void {
  const version = findDefaultOpsetVersion(model) ?? 1;
  if (version >= REQUIRED_OPSET) return;
  const blockers = findOpsetUpgradeBlockers(model, REQUIRED_OPSET);
  if (blockers.length > 0) {
    throw new PassError(
      "OPSET_UNSUPPORTED",
      `int8 dynamic quantization needs opset ${REQUIRED_OPSET} but the model uses opset ${version}, and raising it would ` +
        `change the meaning of ${blockers.slice(0, 5).join(", ")}. Re-export the model with opset_version=13 ` +
        "(torch.onnx.export(..., opset_version=13)) and try again.",
    );
  }
  raiseDefaultOpset(model, REQUIRED_OPSET);
  context.log(
    `raised default opset from ${version} to ${REQUIRED_OPSET} (no op in the model changed meaning)`,
  );
}

function rewriteNode(node: Node, ctx: RewriteContext): Outcome {
  switch (node.opType) {
    case "MatMul":
      return rewriteMatMul(node, ctx);
    case "Gemm":
      return rewriteGemm(node, ctx);
    case "Conv":
      return rewriteConv(node, ctx);
    default:
      return { skip: "not a quantizable op" };
  }
}

function rewriteMatMul(node: Node, ctx: RewriteContext): Outcome {
  const [a, b] = node.input;
  const output = node.output[0];
  const weight = floatWeight(b, ctx);
  if ("skip" in weight) return weight;
  if (weight.dims.length !== 2) return { skip: `weight has rank ${weight.dims.length}, expected 2` };
  if (!a || !output) return { skip: "missing input or output" };
  const [k = 0, n = 0] = weight.dims;
  return integerMatMul(
    node,
    a,
    getTensorData(weight) as Float32Array,
    [k, n],
    weight.name ?? "B",
    1,
    undefined,
    output,
    ctx,
  );
}

function rewriteGemm(node: Node, ctx: RewriteContext): Outcome {
  const [a, b, c] = node.input;
  const output = node.output[0];
  if (getIntAttribute(node, "transA", 0) !== 0) return { skip: "transA=1 is not supported" };
  const weight = floatWeight(b, ctx);
  if ("skip" in weight) return weight;
  if (weight.dims.length !== 2 || !a || !output) return { skip: "weight is not 2-D" };
  const alpha = getFloatAttribute(node, "alpha", 1);
  const beta = getFloatAttribute(node, "beta", 1);
  let data = getTensorData(weight) as Float32Array;
  let [k = 0, n = 0] = weight.dims;
  const transB = getIntAttribute(node, "transB", 0) !== 0;
  if (transB) {
    data = transposeMatrix(data, k, n);
    [k, n] = [n, k];
  }
  const initializers: Tensor[] = [];
  let bias: string | undefined;
  if (c && beta !== 0) {
    const constantC = ctx.resolve(c);
    if (beta === 1) bias = c;
    else if (constantC && constantC.dataType === DATA_TYPE.FLOAT) {
      bias = ctx.newName(`${c}_times_beta`);
      const scaledC = (getTensorData(constantC) as Float32Array).map((v) => v * beta);
      initializers.push(createTensor(bias, DATA_TYPE.FLOAT, constantC.dims, scaledC));
    } else return { skip: "beta ≠ 1 with a non-constant C" };
  }
  const rewrite = integerMatMul(
    node,
    a,
    data,
    [k, n],
    `${weight.name ?? "B"}${transB ? "_t" : ""}`,
    alpha,
    bias,
    output,
    ctx,
  );
  if ("skip" in rewrite) return rewrite;
  return { nodes: rewrite.nodes, initializers: [...initializers, ...rewrite.initializers] };
}

function integerMatMul(
  node: Node,
  activation: string,
  data: Float32Array,
  dims: [number, number],
  weightKey: string,
  alpha: number,
  bias: string | undefined,
  output: string,
  ctx: RewriteContext,
): Outcome {
  const nodes: Node[] = [];
  const initializers: Tensor[] = [];
  const base = baseName(node);
  const act = quantizeActivation(activation, ctx, nodes);
  const w = quantizeWeight(
    weightKey,
    data,
    dims,
    { channels: dims[1], axis: "last", scaleDims: (c) => [c] },
    alpha,
    ctx,
    initializers,
  );
  const integerOutput = ctx.newName(`${base}_output_int32`);
  nodes.push(
    createNode("MatMulInteger", [act.q, w.q, act.zeroPoint, w.zeroPoint], [integerOutput], {
      name: ctx.newName(`${base}_MatMulInteger`),
    }),
  );
  dequantizeOutput(integerOutput, act.scale, w.scale, bias, output, base, ctx, nodes);
  return { nodes, initializers };
}

function rewriteConv(node: Node, ctx: RewriteContext): Outcome {
  const [x, w, b] = node.input;
  const output = node.output[0];
  const weight = floatWeight(w, ctx);
  if ("skip" in weight) return weight;
  if (weight.dims.length < 3 || !x || !output) return { skip: "weight rank < 3" };
  const channels = weight.dims[0] ?? 0;
  const spatialOnes = weight.dims.slice(2).map(() => 1);
  const nodes: Node[] = [];
  const initializers: Tensor[] = [];
  let bias: string | undefined;
  if (b) {
    const constantB = ctx.resolve(b);
    if (!constantB || constantB.dataType !== DATA_TYPE.FLOAT)
      return { skip: "bias is not a constant float32" };
    bias = ctx.newName(`${b}_reshaped`);
    initializers.push(
      createTensor(
        bias,
        DATA_TYPE.FLOAT,
        [channels, ...spatialOnes],
        getTensorData(constantB) as Float32Array,
      ),
    );
  }
  const base = baseName(node);
  const act = quantizeActivation(x, ctx, nodes);
  const q = quantizeWeight(
    weight.name ?? "W",
    getTensorData(weight) as Float32Array,
    weight.dims,
    { channels, axis: "first", scaleDims: (c) => [c, ...spatialOnes] },
    1,
    ctx,
    initializers,
  );
  const integerOutput = ctx.newName(`${base}_output_int32`);
  const keep = ["auto_pad", "dilations", "group", "kernel_shape", "pads", "strides"];
  nodes.push(
    createNode("ConvInteger", [act.q, q.q, act.zeroPoint, q.zeroPoint], [integerOutput], {
      name: ctx.newName(`${base}_ConvInteger`),
      attributes: node.attribute.filter((a) => keep.includes(a.name)).map((a) => structuredClone(a)),
    }),
  );
  dequantizeOutput(integerOutput, act.scale, q.scale, bias, output, base, ctx, nodes);
  return { nodes, initializers };
}
