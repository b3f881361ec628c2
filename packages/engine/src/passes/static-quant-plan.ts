/**
 * Where static quantization puts its Q/DQ pairs, chosen so onnxruntime's QDQ fusions apply:
 *
 * - Conv/Gemm/MatMul with a constant float32 weight ("weighted" nodes): the activation input and the
 *   output are quantized. When the output's only reader is a Relu, the Relu's output is quantized instead:
 *   its range starts at 0, so the zero point is the type's lowest value and ORT drops the Relu into the
 *   fused QLinearConv/QGemm/QLinearMatMul. A Gemm output is quantized only when an 8-bit consumer wants
 *   it (ORT's QGemm can write float); Conv and MatMul outputs always are (ORT 1.30's CPU rules have no
 *   float-output fusion for them: DQ→MatMul without a Q stays a DequantizeLinear plus a float MatMul). When
 *   such an output is a graph output, the graph output becomes the DequantizeLinear's result (exclude the
 *   node to keep it exact).
 * - Add (residual and bias adds): both inputs and the (Relu-fused) output, so ORT builds QLinearAdd, but
 *   only when an input is already 8-bit, an 8-bit consumer wants its result (found by a backward pass
 *   from the weighted nodes through Adds and data-movement ops) and it is not a graph output. So a
 *   residual stream feeding LayerNorm, or LayerNorm's own "+ beta", stays float (and fusable) instead of
 *   bouncing through Q→DQ.
 * - Data-movement ops (MaxPool, Flatten, Reshape, Squeeze, Unsqueeze, Transpose) after a quantized
 *   tensor reuse their input's scale and zero point, so ORT drops their DQ/Q pair and runs them on 8 bits.
 * - GlobalAveragePool/AveragePool after a quantized tensor get their own calibrated output range
 *   (QLinearGlobalAveragePool/QLinearAveragePool requantize, and an average is narrower than its input).
 *
 * ConvTranspose is left in float: ORT 1.30's CPU QDQ fusions have no ConvTranspose rule, so it reads the
 * dequantized output of the op before it.
 */
import { getFloatAttribute, getIntAttribute } from "../onnx/attributes";
import type { ConstantResolver } from "../onnx/constants";
import { DATA_TYPE } from "../onnx/data-type";
import { findDefaultOpsetVersion, getConsumers, sortTopologically } from "../onnx/graph";
import type { Node, OnnxModel, Tensor } from "../onnx/model";
import { getTensorData } from "../onnx/tensor";

export const STATIC_QUANTIZABLE_OPS = ["Conv", "Gemm", "MatMul", "Add"] as const;
export type StaticQuantizableOp = (typeof STATIC_QUANTIZABLE_OPS)[number];

/** Ops that only move or select values: their output shares their input's quantization. */
const SHARED_SCALE_OPS = new Set(["Flatten", "Reshape", "Squeeze", "Unsqueeze", "Transpose", "MaxPool"]);
/** Ops ORT runs as QLinear* with a separate output scale. */
const OWN_SCALE_UNARY_OPS = new Set(["GlobalAveragePool", "AveragePool"]);

export interface WeightedNodePlan {
  node: Node;
  /** The activation (input 0) as named before the rewrite. */
  activation: string;
  /** Constant float32 weight (a Transpose/Constant in front of it already resolved). */
  weight: Tensor;
  /** Axis of the weight's output channels: Conv 0, Gemm transB=1 0 / transB=0 1, MatMul 1. */
  axis: 0 | 1;
  channels: number;
  /** Gemm alpha, folded into the weight. */
  alpha: number;
  /** Bias to quantize to int32 (Conv B, or Gemm beta × C broadcast to [N]); input index 2. */
  bias?: Float32Array;
}

export interface AddPlan {
  node: Node;
  /** Constant float32 inputs (input index → tensor) quantized as initializers. */
  constants: Map<number, Tensor>;
}

export interface StaticQuantPlan {
  weighted: WeightedNodePlan[];
  adds: AddPlan[];
  /** Every tensor that gets a Q→DQ pair → the tensor whose calibrated range it uses (itself if its own). */
  tensors: Map<string, string>;
  skipped: string[];
}

export interface PlanOptions {
  ops: ReadonlySet<string>;
  exclude: ReadonlySet<string>;
}

const isDefaultDomain = (node: Node) => !node.domain || node.domain === "ai.onnx";
const describe = (node: Node) => `${node.opType} '${node.name || node.output[0]}'`;

function floatConstant(name: string | undefined, resolve: ConstantResolver): Tensor | undefined {
  const tensor = name ? resolve(name) : undefined;
  return tensor && tensor.dataType === DATA_TYPE.FLOAT ? tensor : undefined;
}

type Planned = WeightedNodePlan | { skip: string };

function planConv(node: Node, resolve: ConstantResolver): Planned {
  const [x, w, b] = node.input;
  const weight = floatConstant(w, resolve);
  if (!x || resolve(x)) return { skip: "its input is not an activation" };
  if (!weight || weight.dims.length < 3) return { skip: "its weight is not a constant float32 tensor" };
  const channels = weight.dims[0] ?? 0;
  let bias: Float32Array | undefined;
  if (b) {
    const tensor = floatConstant(b, resolve);
    if (!tensor || tensor.dims.length !== 1 || tensor.dims[0] !== channels)
      return { skip: "its bias is not a constant float32 [M] tensor" };
    bias = getTensorData(tensor) as Float32Array;
  }
  return { node, activation: x, weight, axis: 0, channels, alpha: 1, ...(bias ? { bias } : {}) };
}

function planGemm(node: Node, resolve: ConstantResolver): Planned {
  const [a, b, c] = node.input;
  if (getIntAttribute(node, "transA", 0) !== 0) return { skip: "transA=1 is not supported" };
  const weight = floatConstant(b, resolve);
  if (!a || resolve(a)) return { skip: "input A is not an activation" };
  if (!weight || weight.dims.length !== 2) return { skip: "B is not a constant float32 matrix" };
  const transB = getIntAttribute(node, "transB", 0) !== 0;
  const channels = (transB ? weight.dims[0] : weight.dims[1]) ?? 0;
  let bias: Float32Array | undefined;
  const beta = getFloatAttribute(node, "beta", 1);
  if (c && beta !== 0) {
    const tensor = floatConstant(c, resolve);
    const size = tensor ? tensor.dims.reduce((n, d) => n * d, 1) : 0;
    const rowShaped =
      tensor && (tensor.dims.length === 1 || (tensor.dims.length === 2 && tensor.dims[0] === 1));
    if (!tensor || !(size === 1 || (size === channels && rowShaped)))
      return { skip: "C is not a constant float32 [N] (or scalar) bias" };
    const values = getTensorData(tensor) as Float32Array;
    bias = Float32Array.from({ length: channels }, (_, i) => beta * (values[size === 1 ? 0 : i] as number));
  }
  const alpha = getFloatAttribute(node, "alpha", 1);
  return { node, activation: a, weight, axis: transB ? 0 : 1, channels, alpha, ...(bias ? { bias } : {}) };
}

function planMatMul(node: Node, resolve: ConstantResolver): Planned {
  const [a, b] = node.input;
  const weight = floatConstant(b, resolve);
  if (!a || resolve(a)) return { skip: "input A is not an activation" };
  if (!weight || weight.dims.length !== 2) return { skip: "B is not a constant float32 matrix" };
  return { node, activation: a, weight, axis: 1, channels: weight.dims[1] ?? 0, alpha: 1 };
}

export function planStaticQuantization(
  model: OnnxModel,
  resolve: ConstantResolver,
  options: PlanOptions,
): StaticQuantPlan {
  const graph = model.graph;
  const consumers = getConsumers(graph);
  const graphOutputs = new Set(graph.output.map((o) => o.name));
  const order = sortTopologically(graph).order;
  const opset = findDefaultOpsetVersion(model) ?? 1;
  const selected = (node: Node, op: string) =>
    isDefaultDomain(node) &&
    node.opType === op &&
    options.ops.has(op) &&
    !options.exclude.has(node.name ?? "");
  /** The node's output, or the output of the Relu that is its only reader (ORT fuses that Relu). */
  const fusedOutput = (node: Node): string => {
    const out = node.output[0] ?? "";
    const readers = consumers.get(out) ?? [];
    const relu = readers[0];
    if (readers.length === 1 && relu?.opType === "Relu" && isDefaultDomain(relu) && !graphOutputs.has(out))
      return relu.output[0] ?? out;
    return out;
  };
  const singleOutput = (node: Node) =>
    node.output.filter((o) => o !== "").length === 1 && !graphOutputs.has(node.output[0] ?? "");
  const isPassthrough = (node: Node) =>
    isDefaultDomain(node) &&
    !options.exclude.has(node.name ?? "") &&
    singleOutput(node) &&
    ((SHARED_SCALE_OPS.has(node.opType) && !(node.opType === "MaxPool" && opset < 12)) ||
      OWN_SCALE_UNARY_OPS.has(node.opType));

  const weighted = new Map<Node, WeightedNodePlan>();
  const skipped: string[] = [];
  for (const node of order) {
    const op = node.opType;
    if (!(selected(node, "Conv") || selected(node, "Gemm") || selected(node, "MatMul"))) continue;
    const planned =
      op === "Conv"
        ? planConv(node, resolve)
        : op === "Gemm"
          ? planGemm(node, resolve)
          : planMatMul(node, resolve);
    if ("skip" in planned) skipped.push(`${describe(node)}: ${planned.skip}`);
    else weighted.set(node, planned);
  }

  const adds = new Map<Node, AddPlan>();
  for (const node of order) {
    if (!selected(node, "Add") || node.input.length !== 2 || graphOutputs.has(fusedOutput(node))) continue;
    const constants = new Map<number, Tensor>();
    node.input.forEach((name, i) => {
      const constant = resolve(name);
      if (constant) constants.set(i, constant);
    });
    const floatConstants = [...constants.values()].every((t) => t.dataType === DATA_TYPE.FLOAT);
    if (constants.size < 2 && floatConstants) adds.set(node, { node, constants });
  }

  // Demand, from the outputs backwards: a tensor is wanted in 8 bits when a quantized weighted node reads
  // it as its activation, or an Add / data-movement op whose own result is wanted reads it. Adds and Gemm
  // outputs nobody wants that way stay float, so float regions (LayerNorm, attention) get no Q→DQ chains.
  const wanted = new Set<string>();
  for (const node of [...order].reverse()) {
    const plan = weighted.get(node);
    if (plan) wanted.add(plan.activation);
    else if (adds.has(node) && wanted.has(fusedOutput(node))) {
      for (const name of node.input) if (!resolve(name)) wanted.add(name);
    } else if (isPassthrough(node) && wanted.has(node.output[0] ?? "")) wanted.add(node.input[0] ?? "");
  }

  const tensors = new Map<string, string>();
  const mark = (name: string) => {
    if (!tensors.has(name)) tensors.set(name, name);
  };
  const plannedAdds: AddPlan[] = [];
  for (const node of order) {
    const plan = weighted.get(node);
    const add = adds.get(node);
    if (plan) {
      mark(plan.activation);
      // Only QGemm has a float output in ORT's CPU fusions (DQ→MatMul without a Q stays two float ops), so
      // Conv and MatMul outputs are always quantized and Gemm outputs only on demand.
      const out = fusedOutput(node);
      if (node.opType !== "Gemm" || (wanted.has(out) && !graphOutputs.has(out))) mark(out);
    } else if (
      add &&
      wanted.has(fusedOutput(node)) &&
      node.input.some((name) => !resolve(name) && tensors.has(name))
    ) {
      plannedAdds.push(add);
      for (const name of node.input) if (!resolve(name)) mark(name);
      mark(fusedOutput(node));
    } else if (isPassthrough(node) && tensors.has(node.input[0] ?? "")) {
      // Quantized input: run the op on 8 bits (ORT drops the DQ/Q around data movement and fuses the pools).
      const out = node.output[0] ?? "";
      if (OWN_SCALE_UNARY_OPS.has(node.opType)) mark(out);
      else tensors.set(out, tensors.get(node.input[0] ?? "") as string);
    }
  }
  return { weighted: [...weighted.values()], adds: plannedAdds, tensors, skipped };
}
