/**
 * Applies a StaticQuantPlan: a QuantizeLinear→DequantizeLinear pair on every planned activation, int8
 * per-channel weights and int32 biases behind DequantizeLinear, 8-bit constants for quantized Adds.
 * The float weights nobody reads any more are dropped.
 */
import { DATA_TYPE } from "../onnx/data-type";
import { type NameGenerator, removeUnusedNodesAndInitializers, sortTopologically } from "../onnx/graph";
import type { Graph, Node, OnnxModel, Tensor } from "../onnx/model";
import { createTensor, getTensorData } from "../onnx/tensor";
import { computeMinMaxRange } from "./calibration/minmax";
import { createRangeStatistics, updateRangeStatistics } from "./calibration/statistics";
import {
  computeQuantParams,
  createDequantizeNode,
  createQuantizedTensor,
  createQuantizeNode,
  createZeroPointTensor,
  type QuantParams,
  quantizeBias,
  quantizeValues,
} from "./qdq";
import { quantizeSymmetric } from "./quantize-weights";
import type { StaticQuantPlan, WeightedNodePlan } from "./static-quant-plan";

export interface RewriteResult {
  /** Quantized nodes by op type. */
  counts: Record<string, number>;
  activations: number;
  /** Notes about values that had to be clamped. */
  warnings: string[];
}

export interface WeightOptions {
  perChannel: boolean;
  /** Storage of the symmetric weight grid: int8 (zero point 0) or uint8 (q + 128, zero point 128). */
  weightType: "int8" | "uint8";
  /** 7-bit weights (±63). */
  reduceRange: boolean;
}

interface QdqNames {
  scale: string;
  zeroPoint: string;
  params: QuantParams;
}

class Emitter {
  readonly nodes: Node[] = [];
  readonly initializers: Tensor[] = [];
  constructor(readonly newName: NameGenerator) {}

  /** Scale and zero-point initializers for `params` (scalar). */
  addParams(base: string, params: QuantParams): QdqNames {
    const names = {
      scale: this.newName(`${base}_scale`),
      zeroPoint: this.newName(`${base}_zero_point`),
      params,
    };
    this.initializers.push(
      createTensor(names.scale, DATA_TYPE.FLOAT, [], Float32Array.of(params.scale)),
      createZeroPointTensor(names.zeroPoint, params),
    );
    return names;
  }
}

function replaceInputs(graph: Graph, from: string, to: string, except: Node): void {
  for (const node of graph.node) {
    if (node === except) continue;
    for (let i = 0; i < node.input.length; i++) if (node.input[i] === from) node.input[i] = to;
  }
}

/** Inserts Q→DQ after `tensor`; its readers (and, for a graph output, the output itself) see the DQ result. */
function insertQdq(
  graph: Graph,
  tensor: string,
  names: QdqNames,
  emit: Emitter,
  graphOutputs: Set<string>,
): void {
  const quantized = emit.newName(`${tensor}_quantized`);
  if (graphOutputs.has(tensor)) {
    // Keep the graph output's name: its producer writes a new name and the DQ writes the output, so
    // readers of the old name (and the caller) see the dequantized values.
    const raw = emit.newName(`${tensor}_float`);
    for (const node of graph.node) node.output = node.output.map((o) => (o === tensor ? raw : o));
    emit.nodes.push(
      createQuantizeNode(raw, names.scale, names.zeroPoint, quantized),
      createDequantizeNode(quantized, names.scale, names.zeroPoint, tensor),
    );
    return;
  }
  const dequantized = emit.newName(`${tensor}_dequantized`);
  const q = createQuantizeNode(tensor, names.scale, names.zeroPoint, quantized);
  replaceInputs(graph, tensor, dequantized, q);
  emit.nodes.push(q, createDequantizeNode(quantized, names.scale, names.zeroPoint, dequantized));
}

/** Drops an attribute so its default applies (Gemm alpha/beta default to 1). */
function removeAttribute(node: Node, name: string): void {
  node.attribute = node.attribute.filter((a) => a.name !== name);
}

function rewriteWeighted(
  plan: WeightedNodePlan,
  input: QdqNames,
  options: WeightOptions,
  emit: Emitter,
  weightCache: Map<string, { dq: string; scales: Float32Array }>,
  warnings: string[],
): void {
  const { node, weight, axis, alpha } = plan;
  const base = node.name || node.output[0] || node.opType;
  const key = `${weight.name}|${alpha}|${axis}`;
  let quantized = weightCache.get(key);
  if (!quantized) {
    const data = getTensorData(weight) as Float32Array;
    const scaled = alpha === 1 ? data : data.map((v) => v * alpha);
    const channels = options.perChannel ? plan.channels : 1;
    const { values, scales } = quantizeSymmetric(scaled, {
      channels,
      axis: axis === 0 ? "first" : "last",
      qmax: options.reduceRange ? 63 : 127,
    });
    const name = weight.name ?? `${base}_weight`;
    const q = emit.newName(`${name}_quantized`);
    const scale = emit.newName(`${name}_scale`);
    const zeroPoint = emit.newName(`${name}_zero_point`);
    const dq = emit.newName(`${name}_dequantized`);
    const scaleDims = channels === 1 ? [] : [channels];
    const unsigned = options.weightType === "uint8";
    emit.initializers.push(
      unsigned
        ? createTensor(
            q,
            DATA_TYPE.UINT8,
            weight.dims,
            Uint8Array.from(values, (v) => v + 128),
          )
        : createTensor(q, DATA_TYPE.INT8, weight.dims, values),
      createTensor(scale, DATA_TYPE.FLOAT, scaleDims, scales),
      unsigned
        ? createTensor(zeroPoint, DATA_TYPE.UINT8, scaleDims, new Uint8Array(channels).fill(128))
        : createTensor(zeroPoint, DATA_TYPE.INT8, scaleDims, new Int8Array(channels)),
    );
    emit.nodes.push(createDequantizeNode(q, scale, zeroPoint, dq, channels === 1 ? undefined : axis));
    quantized = { dq, scales };
    weightCache.set(key, quantized);
  }
  node.input[1] = quantized.dq;
  if (node.opType === "Gemm") {
    removeAttribute(node, "alpha");
    removeAttribute(node, "beta");
  }
  if (!plan.bias) {
    if (node.opType === "Gemm" && node.input.length > 2) node.input.length = 2; // beta = 0 dropped C
    return;
  }
  const bias = quantizeBias(plan.bias, input.params.scale, quantized.scales);
  if (bias.clamped > 0)
    warnings.push(`${bias.clamped} bias value(s) of '${base}' clamped to the int32 range`);
  const q = emit.newName(`${base}_bias_quantized`);
  const scale = emit.newName(`${base}_bias_scale`);
  const dq = emit.newName(`${base}_bias_dequantized`);
  emit.initializers.push(
    createTensor(q, DATA_TYPE.INT32, [plan.channels], bias.values),
    createTensor(scale, DATA_TYPE.FLOAT, [plan.channels], bias.scales),
  );
  emit.nodes.push(createDequantizeNode(q, scale, undefined, dq, 0));
  node.input[2] = dq;
}

/** 8-bit copy of a constant Add input (per tensor, its own min/max range) behind a DequantizeLinear. */
function quantizeConstant(tensor: Tensor, type: QuantParams["type"], emit: Emitter): string {
  const data = getTensorData(tensor) as Float32Array;
  const stats = createRangeStatistics();
  updateRangeStatistics(stats, data);
  const params = computeQuantParams(computeMinMaxRange(stats), type);
  const name = tensor.name ?? "constant";
  const q = emit.newName(`${name}_quantized`);
  const dq = emit.newName(`${name}_dequantized`);
  const names = emit.addParams(name, params);
  emit.initializers.push(createQuantizedTensor(q, tensor.dims, quantizeValues(data, params), type));
  emit.nodes.push(createDequantizeNode(q, names.scale, names.zeroPoint, dq));
  return dq;
}

export function applyStaticQuantization(
  model: OnnxModel,
  plan: StaticQuantPlan,
  params: ReadonlyMap<string, QuantParams>,
  options: WeightOptions & { newName: NameGenerator },
): RewriteResult {
  const graph = model.graph;
  const emit = new Emitter(options.newName);
  const graphOutputs = new Set(graph.output.map((o) => o.name));
  const rootNames = new Map<string, QdqNames>();
  const tensorNames = new Map<string, QdqNames>();
  for (const [tensor, root] of plan.tensors) {
    let names = rootNames.get(root);
    if (!names) {
      const rootParams = params.get(root);
      if (!rootParams) throw new Error(`no quantization parameters for '${root}'`);
      names = emit.addParams(root, rootParams);
      rootNames.set(root, names);
    }
    tensorNames.set(tensor, names);
  }
  for (const [tensor, names] of tensorNames) insertQdq(graph, tensor, names, emit, graphOutputs);

  const counts: Record<string, number> = {};
  const warnings: string[] = [];
  const weightCache = new Map<string, { dq: string; scales: Float32Array }>();
  for (const weighted of plan.weighted) {
    const input = tensorNames.get(weighted.activation);
    if (!input) throw new Error(`activation '${weighted.activation}' was not quantized`);
    rewriteWeighted(weighted, input, options, emit, weightCache, warnings);
    counts[weighted.node.opType] = (counts[weighted.node.opType] ?? 0) + 1;
  }
  const type = [...rootNames.values()][0]?.params.type ?? "uint8";
  for (const add of plan.adds) {
    for (const [index, tensor] of add.constants) add.node.input[index] = quantizeConstant(tensor, type, emit);
    counts.Add = (counts.Add ?? 0) + 1;
  }

  graph.node.push(...emit.nodes);
  graph.initializer.push(...emit.initializers);
  const { order, blocked } = sortTopologically(graph);
  if (blocked.length > 0) throw new Error(`the rewrite left ${blocked.length} node(s) in a cycle`);
  graph.node = order;
  removeUnusedNodesAndInitializers(graph);
  return { counts, activations: tensorNames.size, warnings };
}
