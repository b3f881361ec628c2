/** Human-readable formatting for CLI output. */
import type { ModelSummary, TensorSummary } from "../onnx/inspect";

export function formatCount(n: number): string {
  if (n >= 1e9) return `${(n / 1e9).toFixed(2)} G`;
  if (n >= 1e6) return `${(n / 1e6).toFixed(2)} M`;
  if (n >= 1e3) return `${(n / 1e3).toFixed(1)} k`;
  return String(n);
}

export function formatBytes(n: number): string {
  if (n >= 1024 * 1024) return `${(n / 1024 / 1024).toFixed(2)} MiB`;
  if (n >= 1024) return `${(n / 1024).toFixed(1)} KiB`;
  return `${n} B`;
}

function formatTensor(t: TensorSummary): string {
  return `  ${t.name}: ${t.elemType}${t.shape ? ` [${t.shape.join(", ")}]` : " (no shape)"}`;
}

export function formatSummary(path: string, s: ModelSummary): string {
  const lines = [
    `${path}`,
    `  producer ${s.producer.name || "?"} ${s.producer.version}, IR ${s.irVersion}, opsets ${s.opsets
      .map((o) => `${o.domain} ${o.version}`)
      .join(", ")}`,
    `  size ${formatBytes(s.sizeBytes)}, ${formatCount(s.params)} params, ${s.nodeCount} nodes`,
    `  compute ${formatCount(s.macs)} MACs per inference${
      Object.keys(s.assumedDims).length
        ? ` (with ${Object.entries(s.assumedDims)
            .map(([k, v]) => `${k}=${v}`)
            .join(", ")})`
        : ""
    }${s.macsUnknownNodes ? `; ${s.macsUnknownNodes} node(s) with unknown shapes not counted` : ""}`,
    "inputs",
    ...s.inputs.map(formatTensor),
    "outputs",
    ...s.outputs.map(formatTensor),
    "ops",
    ...Object.entries(s.opHistogram).map(([op, n]) => `  ${op.padEnd(24)} ${String(n).padStart(5)}`),
  ];
  if (Object.keys(s.macsByOp).length) {
    lines.push(
      "MACs by op",
      ...Object.entries(s.macsByOp).map(([op, n]) => `  ${op.padEnd(24)} ${formatCount(n)}`),
    );
  }
  return lines.join("\n");
}
