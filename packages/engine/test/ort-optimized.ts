/** What onnxruntime's graph optimizer made of a model: the ops of the optimized graph it writes out. */
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import ort from "onnxruntime-node";
import { parseModel } from "../src/onnx/codec";

/** Op histogram ('QLinearConv', 'QuantizeLinear', …; domain dropped) of the graph ORT runs at level 'all'. */
export async function getOptimizedOpHistogram(bytes: Uint8Array): Promise<Record<string, number>> {
  const dir = mkdtempSync(join(tmpdir(), "ew-ort-optimized-"));
  try {
    const path = join(dir, "optimized.onnx");
    const session = await ort.InferenceSession.create(bytes, {
      graphOptimizationLevel: "all",
      optimizedModelFilePath: path,
      intraOpNumThreads: 1,
      logSeverityLevel: 3,
    });
    await session.release();
    const histogram: Record<string, number> = {};
    for (const node of parseModel(new Uint8Array(readFileSync(path))).graph.node) {
      histogram[node.opType] = (histogram[node.opType] ?? 0) + 1;
    }
    return histogram;
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
