/** Resolving a value name to a constant tensor: initializers, Constant nodes, and Transpose of a constant. */
import { findAttribute, findIntsAttribute } from "./attributes";
import { DATA_TYPE } from "./data-type";
import { getProducers } from "./graph";
import type { OnnxModel, Tensor } from "./model";
import { createTensor, getTensorData, transposeMatrix } from "./tensor";

export type ConstantResolver = (name: string) => Tensor | undefined;

/**
 * Returns a resolver for the model's current graph. An initializer that is also a graph input is an
 * overridable default, so it is not constant unless the IR version predates that rule (IR < 4).
 * Build a new resolver after editing the graph.
 */
export function createConstantResolver(model: OnnxModel): ConstantResolver {
  const graph = model.graph;
  const inputs = new Set(graph.input.map((i) => i.name));
  const initializers = new Map<string, Tensor>();
  for (const t of graph.initializer) {
    if (t.name && (model.irVersion < 4 || !inputs.has(t.name))) initializers.set(t.name, t);
  }
  const producers = getProducers(graph);
  const cache = new Map<string, Tensor | undefined>();

  const resolve: ConstantResolver = (name) => {
    if (cache.has(name)) return cache.get(name);
    let result = initializers.get(name);
    const producer = result ? undefined : producers.get(name);
    if (producer && (!producer.domain || producer.domain === "ai.onnx")) {
      if (producer.opType === "Constant") {
        const t = findAttribute(producer, "value")?.t;
        if (t) result = { ...t, name };
      } else if (producer.opType === "Transpose" && producer.input[0]) {
        const source = resolve(producer.input[0]);
        const perm = findIntsAttribute(producer, "perm");
        const isSwap = !perm || (perm.length === 2 && perm[0] === 1 && perm[1] === 0);
        if (source && source.dims.length === 2 && isSwap && source.dataType === DATA_TYPE.FLOAT) {
          const [rows = 0, cols = 0] = source.dims;
          const data = getTensorData(source) as Float32Array;
          result = createTensor(name, DATA_TYPE.FLOAT, [cols, rows], transposeMatrix(data, rows, cols));
        }
      }
    }
    cache.set(name, result);
    return result;
  };
  return resolve;
}
