/** Multiply-accumulate counts for the compute-heavy ops, from shapes found by shape inference. */
import type { Node } from "./model";
import type { ValueFacts } from "./value-facts";

export const MAC_OPS = [
  "Conv",
  "ConvInteger",
  "ConvTranspose",
  "Gemm",
  "MatMul",
  "MatMulInteger",
  "QLinearConv",
  "QLinearMatMul",
] as const;

/** onnxruntime contrib (com.microsoft) ops with MACs: quantized and fused forms of the ops above. */
export const MICROSOFT_MAC_OPS = [
  "MatMulNBits",
  "QGemm",
  "DynamicQuantizeMatMul",
  "MatMulIntegerToFloat",
  "FusedConv",
] as const;

const product = (dims: readonly number[]): number => dims.reduce((a, b) => a * b, 1);

/** How an op is counted: like Conv / ConvTranspose / a matrix product, and where its data and weight inputs are. */
const KINDS: Record<string, { kind: "conv" | "convTranspose" | "matmul"; x: number; w: number }> = {
  Conv: { kind: "conv", x: 0, w: 1 },
  ConvInteger: { kind: "conv", x: 0, w: 1 },
  QLinearConv: { kind: "conv", x: 0, w: 3 },
  FusedConv: { kind: "conv", x: 0, w: 1 },
  ConvTranspose: { kind: "convTranspose", x: 0, w: 1 },
  Gemm: { kind: "matmul", x: 0, w: 1 },
  MatMul: { kind: "matmul", x: 0, w: 1 },
  MatMulInteger: { kind: "matmul", x: 0, w: 1 },
  QLinearMatMul: { kind: "matmul", x: 0, w: 3 },
  QGemm: { kind: "matmul", x: 0, w: 3 },
  DynamicQuantizeMatMul: { kind: "matmul", x: 0, w: 1 },
  MatMulIntegerToFloat: { kind: "matmul", x: 0, w: 1 },
  MatMulNBits: { kind: "matmul", x: 0, w: 1 },
};

/** MACs of one node, 0 for ops without MACs, undefined when the shapes it needs are unknown. */
export function countNodeMacs(node: Node, facts: ReadonlyMap<string, ValueFacts>): number | undefined {
  const microsoft = node.domain === "com.microsoft";
  if (node.domain && node.domain !== "ai.onnx" && !microsoft) return 0;
  const known: readonly string[] = microsoft ? MICROSOFT_MAC_OPS : MAC_OPS;
  const kind = known.includes(node.opType) ? KINDS[node.opType] : undefined;
  if (!kind) return 0;
  const shape = (name: string | undefined) => (name ? facts.get(name)?.shape : undefined);
  const x = shape(node.input[kind.x]);
  const w = shape(node.input[kind.w]);
  const y = shape(node.output[0]);
  switch (kind.kind) {
    case "conv":
      // every output element: (C / group) × kernel MACs; W is [M, C/group, k…]
      return y && w ? product(y) * product(w.slice(1)) : undefined;
    case "convTranspose":
      // every input element scatters into (M / group) × kernel outputs; W is [C, M/group, k…]
      return x && w ? product(x) * product(w.slice(1)) : undefined;
    case "matmul": {
      if (!x || !y) return undefined;
      const transA = node.attribute.some((a) => a.name === "transA" && a.i === 1n);
      const k = x.length === 1 ? x[0] : transA ? x[0] : x[x.length - 1];
      return k === undefined ? undefined : product(y) * k;
    }
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
