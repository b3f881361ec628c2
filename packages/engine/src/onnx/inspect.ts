/** A readable summary of a model: interface, op mix, parameters, compute (MACs) and size. */

import { serializeModel } from "./codec";
import { getDataTypeName } from "./data-type";
import { countMacs } from "./macs";
import type { OnnxModel, ValueInfo } from "./model";
import { type InferShapesOptions, inferShapes } from "./shape-infer";
import { getElementCount } from "./tensor";

export interface TensorSummary {
  name: string;
  /** 'float32', 'int64', …; 'unknown' when the value info has no tensor type. */
  elemType: string;
  /** Numbers for fixed dims, the symbolic name for dynamic ones, '?' when neither; null when no shape. */
  shape: (number | string)[] | null;
}

export interface ModelSummary {
  irVersion: number;
  opsets: { domain: string; version: number }[];
  producer: { name: string; version: string };
  inputs: TensorSummary[];
  outputs: TensorSummary[];
  opHistogram: Record<string, number>;
  nodeCount: number;
  /** Elements in all initializers. */
  params: number;
  /** Multiply-accumulates for one inference, symbolic dims taken as `assumedDims` (batch = 1). */
  macs: number;
  macsByOp: Record<string, number>;
  /** Conv/ConvTranspose/Gemm/MatMul nodes whose shapes could not be resolved (not counted in `macs`). */
  macsUnknownNodes: number;
  /** Value used for each symbolic input dim when counting MACs. */
  assumedDims: Record<string, number>;
  sizeBytes: number;
}

export interface InspectOptions extends InferShapesOptions {
  /** Size of the serialized model when the caller already has its bytes (avoids re-serializing). */
  sizeBytes?: number;
}

function summarize(info: ValueInfo): TensorSummary {
  const tensorType = info.type?.tensorType;
  return {
    name: info.name,
    elemType: tensorType?.elemType === undefined ? "unknown" : getDataTypeName(tensorType.elemType),
    shape: tensorType?.shape ? tensorType.shape.dim.map((d) => d.dimValue ?? d.dimParam ?? "?") : null,
  };
}

export function inspectModel(model: OnnxModel, options: InspectOptions = {}): ModelSummary {
  const graph = model.graph;
  const initializerNames = new Set(graph.initializer.map((t) => t.name));
  const inputs = graph.input.filter((i) => !initializerNames.has(i.name));

  const opHistogram: Record<string, number> = {};
  for (const node of graph.node) {
    const key = node.domain && node.domain !== "ai.onnx" ? `${node.domain}.${node.opType}` : node.opType;
    opHistogram[key] = (opHistogram[key] ?? 0) + 1;
  }

  const assumedDims: Record<string, number> = {};
  for (const input of inputs) {
    for (const dim of input.type?.tensorType?.shape?.dim ?? []) {
      if (dim.dimValue === undefined && dim.dimParam) {
        assumedDims[dim.dimParam] = options.dims?.[dim.dimParam] ?? options.defaultDim ?? 1;
      }
    }
  }
  const facts = inferShapes(model, options);
  const macs = countMacs(graph.node, facts);

  return {
    irVersion: model.irVersion,
    opsets: model.opsetImport.map((o) => ({ domain: o.domain || "ai.onnx", version: o.version })),
    producer: { name: model.producerName ?? "", version: model.producerVersion ?? "" },
    inputs: inputs.map(summarize),
    outputs: graph.output.map(summarize),
    opHistogram: Object.fromEntries(Object.entries(opHistogram).sort((a, b) => b[1] - a[1])),
    nodeCount: graph.node.length,
    params: graph.initializer.reduce((sum, t) => sum + getElementCount(t.dims), 0),
    macs: macs.macs,
    macsByOp: macs.byOp,
    macsUnknownNodes: macs.unknownNodes,
    assumedDims,
    sizeBytes: options.sizeBytes ?? serializeModel(model).byteLength,
  };
}
