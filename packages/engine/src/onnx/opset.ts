/**
 * Raising the default-domain opset of a model. Raising is only safe when no op in the graph changed
 * meaning between the model's opset and the target; this table lists the incompatible changes in
 * opsets 7–13 (additive changes such as negative axes or new types are compatible and not listed).
 */
import { findAttribute, getSubgraphs } from "./attributes";
import { findDefaultOpsetVersion } from "./graph";
import type { Graph, Node, OnnxModel } from "./model";

/** op → opset versions that changed it incompatibly; `when` narrows the block to some uses. */
const INCOMPATIBLE_CHANGES: Record<string, { versions: number[]; when?: (node: Node) => boolean }> = {
  Upsample: { versions: [9, 10] },
  Scan: { versions: [9] },
  BatchNormalization: { versions: [9], when: (n) => findAttribute(n, "spatial") !== undefined },
  Slice: { versions: [10] },
  TopK: { versions: [10] },
  Pad: { versions: [11] },
  Clip: { versions: [11] },
  Resize: { versions: [11, 13] },
  ConvTranspose: {
    versions: [11],
    when: (n) => /SAME/.test(new TextDecoder().decode(findAttribute(n, "auto_pad")?.s ?? new Uint8Array())),
  },
  Dropout: { versions: [12] },
  Split: { versions: [13] },
  Squeeze: { versions: [13] },
  Unsqueeze: { versions: [13] },
  ReduceSum: { versions: [13] },
};

/** Oldest default opset the engine rewrites at all. */
export const MIN_SUPPORTED_OPSET = 7;

function collectNodes(graph: Graph, into: Node[]): Node[] {
  for (const node of graph.node) {
    into.push(node);
    for (const sub of getSubgraphs(node)) collectNodes(sub, into);
  }
  return into;
}

/** Ops (as 'Op (node name)') whose meaning would change if the default opset were raised to `target`. */
export function findOpsetUpgradeBlockers(model: OnnxModel, target: number): string[] {
  const current = findDefaultOpsetVersion(model) ?? 1;
  const blockers: string[] = [];
  if (current < MIN_SUPPORTED_OPSET) return [`opset ${current} (older than ${MIN_SUPPORTED_OPSET})`];
  for (const node of collectNodes(model.graph, [])) {
    if (node.domain && node.domain !== "ai.onnx") continue;
    const change = INCOMPATIBLE_CHANGES[node.opType];
    if (!change) continue;
    const hit = change.versions.some((v) => v > current && v <= target);
    if (hit && (!change.when || change.when(node)))
      blockers.push(`${node.opType} (${node.name || node.output[0]})`);
  }
  return blockers;
}

/**
 * Sets the default-domain opset to `target` (never lowers it) and raises ir_version to the minimum
 * that opset needs. Call `findOpsetUpgradeBlockers` first; this does not check.
 */
export function raiseDefaultOpset(model: OnnxModel, target: number): void {
  const entry = model.opsetImport.find((o) => !o.domain || o.domain === "ai.onnx");
  if (entry) entry.version = Math.max(entry.version, target);
  else model.opsetImport.unshift({ domain: "", version: target });
  model.irVersion = Math.max(model.irVersion, minIrVersionFor(target));
}

/** Minimum IR version for a default opset (ONNX release table). */
export function minIrVersionFor(opset: number): number {
  if (opset >= 21) return 10;
  if (opset >= 19) return 9;
  if (opset >= 15) return 8;
  if (opset >= 12) return 7;
  if (opset >= 11) return 6;
  if (opset >= 10) return 5;
  if (opset >= 9) return 4;
  return 3;
}
