/**
 * Where onnxruntime spends a batch-1 inference: kernel time per op type (and per node with --nodes) from
 * ORT's own profiler, 1 intra-op thread, random float inputs (symbolic dims = 1).
 *   npx tsx dev/profile-ort-ops.ts <model.onnx> [runs=300] [--nodes]
 * For a quantized model, write it out first (e.g. from dev/bench-static-int8.ts) and compare with fp32.
 */
import { mkdtempSync, readdirSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import ort from "onnxruntime-node";
import { parseModel } from "../src/onnx/codec";

const [path = "", runsArg = "300"] = process.argv.slice(2).filter((a) => !a.startsWith("--"));
const perNode = process.argv.includes("--nodes");
const runs = Number(runsArg);
const bytes = new Uint8Array(readFileSync(path));
const dir = mkdtempSync(join(tmpdir(), "ew-profile-"));
try {
  const session = await ort.InferenceSession.create(bytes, {
    intraOpNumThreads: 1,
    interOpNumThreads: 1,
    enableProfiling: true,
    profileFilePrefix: join(dir, "profile"),
  });
  const feeds: Record<string, ort.Tensor> = {};
  for (const input of parseModel(bytes).graph.input) {
    const dims = (input.type?.tensorType?.shape?.dim ?? []).map((d) => d.dimValue ?? 1);
    const size = dims.reduce((a, b) => a * b, 1);
    feeds[input.name] = new ort.Tensor(
      "float32",
      Float32Array.from({ length: size }, () => Math.random() * 2 - 1),
      dims,
    );
  }
  for (let i = 0; i < runs; i++) await session.run(feeds);
  (session as unknown as { endProfiling(): void }).endProfiling();
  await session.release();
  const file = readdirSync(dir).find((f) => f.startsWith("profile")) ?? "";
  const events = JSON.parse(readFileSync(join(dir, file), "utf8")) as {
    cat: string;
    name: string;
    dur: number;
    args?: { op_name?: string };
  }[];
  const byOp: Record<string, number> = {};
  const byNode: Record<string, number> = {};
  for (const e of events) {
    if (e.cat !== "Node" || !e.name.endsWith("_kernel_time")) continue;
    const op = e.args?.op_name ?? "?";
    byOp[op] = (byOp[op] ?? 0) + e.dur / runs;
    const node = `${op} ${e.name.replace("_kernel_time", "")}`;
    byNode[node] = (byNode[node] ?? 0) + e.dur / runs;
  }
  const runTimes = events
    .filter((e) => e.name === "model_run")
    .map((e) => e.dur)
    .sort((a, b) => a - b);
  const us = (o: Record<string, number>) =>
    Object.fromEntries(
      Object.entries(o)
        .sort((a, b) => b[1] - a[1])
        .map(([k, v]) => [k, Math.round(v)]),
    );
  console.log(
    JSON.stringify(
      {
        model: path,
        runs,
        modelRunP50Us: runTimes[Math.floor(runTimes.length / 2)],
        kernelUsPerRunByOp: us(byOp),
        ...(perNode ? { kernelUsPerRunByNode: us(byNode) } : {}),
      },
      null,
      2,
    ),
  );
} finally {
  rmSync(dir, { recursive: true, force: true });
}
