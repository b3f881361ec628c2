/**
 * Static shape propagation with concrete dimensions: symbolic graph-input dims are replaced by a chosen
 * value (1 by default, i.e. batch = 1), then shapes flow through the ops in shape-rules.ts. Small
 * integer tensors (shape arithmetic: Shape → Gather → Unsqueeze → Concat → Reshape) are tracked by
 * value so exporter shape subgraphs resolve. Anything not covered leaves its outputs unknown.
 */
import { findAttribute } from "./attributes";
import { sortTopologically } from "./graph";
import type { OnnxModel, ValueInfo } from "./model";
import { SHAPE_RULES } from "./shape-rules";
import { MICROSOFT_SHAPE_RULES } from "./shape-rules-quant";
import type { ValueFacts } from "./value-facts";
import { getTensorFacts } from "./value-facts";

export type { ValueFacts } from "./value-facts";

export interface InferShapesOptions {
  /** Value for each symbolic dim name; unlisted symbolic dims get `defaultDim`. */
  dims?: Record<string, number>;
  /** Default 1 (batch = 1, sequence = 1 unless given). */
  defaultDim?: number;
}

function valueInfoFacts(info: ValueInfo, options: InferShapesOptions): ValueFacts | undefined {
  const tensorType = info.type?.tensorType;
  if (!tensorType) return undefined;
  const facts: ValueFacts = {};
  if (tensorType.elemType !== undefined) facts.elemType = tensorType.elemType;
  if (tensorType.shape) {
    const shape: number[] = [];
    for (const dim of tensorType.shape.dim) {
      if (dim.dimValue !== undefined && dim.dimValue >= 0) shape.push(dim.dimValue);
      else shape.push(options.dims?.[dim.dimParam ?? ""] ?? options.defaultDim ?? 1);
    }
    facts.shape = shape;
  }
  return facts;
}

/** Facts for every value the propagation could resolve (graph inputs, initializers, node outputs). */
export function inferShapes(model: OnnxModel, options: InferShapesOptions = {}): Map<string, ValueFacts> {
  const graph = model.graph;
  const facts = new Map<string, ValueFacts>();
  for (const input of graph.input) {
    const f = valueInfoFacts(input, options);
    if (f) facts.set(input.name, f);
  }
  for (const tensor of graph.initializer) if (tensor.name) facts.set(tensor.name, getTensorFacts(tensor));

  // value_info shapes from the exporter fill gaps only when fully static.
  const declared = new Map<string, ValueFacts>();
  for (const info of graph.valueInfo) {
    const static_ = info.type?.tensorType?.shape?.dim.every((d) => d.dimValue !== undefined);
    const f = static_ ? valueInfoFacts(info, options) : undefined;
    if (f) declared.set(info.name, f);
  }

  const opsetVersion = model.opsetImport.find((o) => !o.domain || o.domain === "ai.onnx")?.version ?? 1;
  for (const node of sortTopologically(graph).order) {
    const inputs = node.input.map((name) => (name === "" ? undefined : facts.get(name)));
    const rule =
      !node.domain || node.domain === "ai.onnx"
        ? SHAPE_RULES[node.opType]
        : node.domain === "com.microsoft"
          ? MICROSOFT_SHAPE_RULES[node.opType]
          : undefined;
    let outputs: (ValueFacts | undefined)[] = [];
    if (rule) {
      try {
        outputs = rule({ node, inputs, opsetVersion, attr: (name) => findAttribute(node, name) });
      } catch {
        outputs = [];
      }
    }
    node.output.forEach((name, i) => {
      const inferred = outputs[i];
      const fallback = declared.get(name);
      const chosen = inferred?.shape ? inferred : fallback;
      if (chosen?.shape?.every((d) => Number.isInteger(d) && d >= 0)) facts.set(name, chosen);
    });
  }
  return facts;
}
