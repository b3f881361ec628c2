/** Multiply-accumulate counts for the compute-heavy ops, from shapes found by shape inference. */
import type { Node } from "./model";
import type { ValueFacts } from "./value-facts";

export const MAC_OPS = ["Conv", "ConvInteger", "ConvTranspose", "Gemm", "MatMul", "MatMulInteger"] as const;

const product = (dims: readonly number[]): number => dims.reduce((a, b) => a * b, 1);

/** MACs of one node, 0 for ops outside MAC_OPS, undefined when the shapes it needs are unknown. */
export function countNodeMacs(node: Node, facts: ReadonlyMap<string, ValueFacts>): number | undefined {
  const shape = (name: string | undefined) => (name ? facts.get(name)?.shape : undefined);
  const x = shape(node.input[0]);
  const w = shape(node.input[1]);
  const y = shape(node.output[0]);
  switch (node.opType) {
    case "Conv":
    case "ConvInteger":
      // every output element: (C / group) × kernel MACs; W is [M, C/group, k…]
      return y && w ? product(y) * product(w.slice(1)) : undefined;
    case "ConvTranspose":
      // every input element scatters into (M / group) × kernel outputs; W is [C, M/group, k…]
      return x && w ? product(x) * product(w.slice(1)) : undefined;
    case "Gemm":
    case "MatMul":
    case "MatMulInteger": {
      if (!x || !y) return undefined;
      const transA = node.opType === "Gemm" && node.attribute.some((a) => a.name === "transA" && a.i === 1n);
      const k = x.length === 1 ? x[0] : transA ? x[0] : x[x.length - 1];
      return k === undefined ? undefined : product(y) * k;
    }
    default:
      return 0;
  }
}

export interface MacCount {
  macs: number;
  /** MAC-relevant nodes whose shapes could not be resolved (not included in `macs`). */
  unknownNodes: number;
  byOp: Record<string, number>;
}

export function countMacs(nodes: readonly Node[], facts: ReadonlyMap<string, ValueFacts>): MacCount {
  const result: MacCount = { macs: 0, unknownNodes: 0, byOp: {} };
  for (const node of nodes) {
    if (node.domain && node.domain !== "ai.onnx") continue;
    const macs = countNodeMacs(node, facts);
    if (macs === undefined) {
      result.unknownNodes++;
    } else if (macs > 0) {
      result.macs += macs;
      result.byOp[node.opType] = (result.byOp[node.opType] ?? 0) + macs;
    }
  }
  return result;
}
