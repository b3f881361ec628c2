/**
 * fold-batchnorm: Conv (with or without bias) whose only consumer is an inference-mode
 * BatchNormalization becomes one Conv with per-output-channel scaled weights and a new bias:
 *
 *   k = scale / sqrt(var + epsilon);  W'[m] = W[m] · k[m];  b'[m] = (b[m] − mean[m]) · k[m] + B[m]
 *
 * (computed in float64, stored as float32). Needs the Conv weight/bias and all four BN parameters
 * to be float32 constants. Like fold-constants it is preparatory: with nothing to fold it logs so and
 * returns an unchanged copy.
 */
import { findAttribute, getFloatAttribute } from "../onnx/attributes";
import { createConstantResolver } from "../onnx/constants";
import { DATA_TYPE } from "../onnx/data-type";
import { createNameGenerator, getConsumers, removeUnusedNodesAndInitializers } from "../onnx/graph";
import type { Node, OnnxModel, Tensor } from "../onnx/model";
import { createTensor, getTensorData } from "../onnx/tensor";
import type { Pass, PassContext } from "../types";

export interface FoldBatchNormResult {
  model: OnnxModel;
  /** Names (or first outputs) of the BatchNormalization nodes folded away. */
  folded: string[];
  /** Conv→BN pairs left alone, with the reason. */
  skipped: string[];
}

const isDefaultDomain = (node: Node) => !node.domain || node.domain === "ai.onnx";
const label = (node: Node) => `${node.opType} '${node.name || node.output[0] || "?"}'`;

export function foldBatchNormalization(input: OnnxModel): FoldBatchNormResult {
  const model = structuredClone(input);
  const graph = model.graph;
  const resolve = createConstantResolver(model);
  const newName = createNameGenerator(model);
  const consumers = getConsumers(graph);
  const graphOutputs = new Set(graph.output.map((o) => o.name));
  const producers = new Map<string, Node>();
  for (const node of graph.node) for (const out of node.output) producers.set(out, node);

  const folded: string[] = [];
  const skipped: string[] = [];
  const removed = new Set<Node>();
  for (const bn of graph.node) {
    if (bn.opType !== "BatchNormalization" || !isDefaultDomain(bn)) continue;
    const conv = bn.input[0] ? producers.get(bn.input[0]) : undefined;
    if (!conv || conv.opType !== "Conv" || !isDefaultDomain(conv) || removed.has(conv)) continue;
    const why = foldPair(conv, bn);
    if (why) skipped.push(`${label(conv)} → ${label(bn)}: ${why}`);
    else {
      folded.push(bn.name || bn.output[0] || "?");
      removed.add(bn);
    }
  }
  graph.node = graph.node.filter((n) => !removed.has(n));
  removeUnusedNodesAndInitializers(graph);
  return { model, folded, skipped };

  /** Rewrites `conv` in place to absorb `bn`; returns why not when it cannot. */
  function foldPair(conv: Node, bn: Node): string | undefined {
    const convOut = conv.output[0] ?? "";
    if ((consumers.get(convOut) ?? []).length !== 1 || graphOutputs.has(convOut))
      return "the Conv output has other readers";
    if (bn.output.slice(1).some((o) => o !== "")) return "BatchNormalization uses its training outputs";
    if (Number(findAttribute(bn, "training_mode")?.i ?? 0n) !== 0) return "training_mode=1";
    if (findAttribute(bn, "spatial") && Number(findAttribute(bn, "spatial")?.i ?? 1n) === 0)
      return "spatial=0 (per-activation statistics)";
    const [, scaleName, biasName, meanName, varName] = bn.input;
    const params = [scaleName, biasName, meanName, varName].map((n) => (n ? resolve(n) : undefined));
    const weight = conv.input[1] ? resolve(conv.input[1]) : undefined;
    const convBias = conv.input[2] ? resolve(conv.input[2]) : undefined;
    if (!weight || weight.dataType !== DATA_TYPE.FLOAT) return "the Conv weight is not a float32 constant";
    if (conv.input[2] && (!convBias || convBias.dataType !== DATA_TYPE.FLOAT))
      return "the Conv bias is not a float32 constant";
    if (params.some((p) => !p || p.dataType !== DATA_TYPE.FLOAT))
      return "the BatchNormalization parameters are not float32 constants";
    const channels = weight.dims[0] ?? 0;
    const [scale, shift, mean, variance] = (params as Tensor[]).map((p) => getTensorData(p) as Float32Array);
    if ([scale, shift, mean, variance].some((a) => a?.length !== channels))
      return `BatchNormalization parameters do not have ${channels} channels`;
    const epsilon = getFloatAttribute(bn, "epsilon", 1e-5);
    const w = getTensorData(weight) as Float32Array;
    const b = convBias ? (getTensorData(convBias) as Float32Array) : new Float32Array(channels);
    const perChannel = w.length / channels;
    const newWeight = new Float32Array(w.length);
    const newBias = new Float32Array(channels);
    for (let m = 0; m < channels; m++) {
      const k = (scale?.[m] ?? 1) / Math.sqrt((variance?.[m] ?? 1) + epsilon);
      for (let i = m * perChannel; i < (m + 1) * perChannel; i++) newWeight[i] = (w[i] ?? 0) * k;
      newBias[m] = ((b[m] ?? 0) - (mean?.[m] ?? 0)) * k + (shift?.[m] ?? 0);
    }
    const base = conv.name || convOut;
    const weightName = newName(`${conv.input[1] ?? base}_bn_folded`);
    const biasName2 = newName(`${base}_bias_bn_folded`);
    graph.initializer.push(
      createTensor(weightName, DATA_TYPE.FLOAT, weight.dims, newWeight),
      createTensor(biasName2, DATA_TYPE.FLOAT, [channels], newBias),
    );
    conv.input = [conv.input[0] ?? "", weightName, biasName2];
    conv.output = [bn.output[0] ?? convOut];
    return undefined;
  }
}

export const foldBatchNormPass: Pass = {
  name: "fold-batchnorm",
  variantName: "fp32-bnfolded",
  description: "folds inference-mode BatchNormalization into the preceding Conv's weights and bias",
  run(model: OnnxModel, context: PassContext): OnnxModel {
    const result = foldBatchNormalization(model);
    if (result.folded.length === 0)
      context.log("nothing to fold: no Conv → BatchNormalization pair (model returned unchanged)");
    else context.log(`folded ${result.folded.length} BatchNormalization node(s) into the preceding Conv`);
    for (const line of result.skipped) context.log(`kept: ${line}`);
    return result.model;
  },
};
