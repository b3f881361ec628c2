/**
 * quantize-static-int8 on the shared models, every calibration method side by side with fp32:
 * size ratio, top-1 (cifar10-resnet14) or reconstruction MSE ratio + Spearman ρ of per-window MSE
 * (nab-conv-autoencoder), the ops ORT actually runs after fusion, and 1-thread latency at batch 1 and 32
 * (interleaved rounds, one process).
 *   npx tsx dev/bench-static-int8.ts [maxSamples=2000] [latencyRuns=400]
 *   BENCH_METHODS=minmax,entropy BENCH_MODELS=cifar10-resnet14 npx tsx dev/bench-static-int8.ts
 *   BENCH_WRITE_DIR=/tmp/int8 … also writes <model>-<method>.onnx there (e.g. for dev/profile-ort-ops.ts)
 * Prints one JSON document. Not a test: latencies are noisy on a shared 2-core machine.
 */
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import ort from "onnxruntime-node";
import { readBenchEnv } from "../bench/env";
import { parseNpz } from "../src/data/npz";
import { createEvaluationSet, type EvaluationSet, getBatchFeeds } from "../src/eval/dataset";
import { type CollectedOutputs, collectOutputs, computeLabelAccuracy } from "../src/eval/evaluate";
import { measureLatencySideBySide } from "../src/eval/latency";
import { spearmanRho } from "../src/eval/rank-metrics";
import { parseModel, serializeModel } from "../src/onnx/codec";
import { CALIBRATION_METHODS, createQuantizeStaticInt8Pass } from "../src/passes/quantize-static-int8";
import { createOrtRuntime, type OrtModuleLike } from "../src/runtime";

const BENCH_ENV = readBenchEnv();
const SHARED = BENCH_ENV.sharedDir;
const runtime = createOrtRuntime(ort as unknown as OrtModuleLike);
const maxSamples = Number(process.argv[2] ?? 2000);
const latencyRuns = Number(process.argv[3] ?? 400);
const methods = (BENCH_ENV.methods ?? [...CALIBRATION_METHODS]) as (typeof CALIBRATION_METHODS)[number][];
const CASES = [
  { model: "cifar10-resnet14", calibration: "cifar10-calib-256", evaluation: "cifar10-test-2k" },
  { model: "nab-conv-autoencoder", calibration: "nab-windows-calib-256", evaluation: "nab-windows-eval-2k" },
].filter((c) => !BENCH_ENV.models || BENCH_ENV.models.includes(c.model));

const loadSet = (
  model: ReturnType<typeof parseModel>,
  name: string,
  options: { maxSamples?: number; batchSize: number },
) =>
  createEvaluationSet(
    model,
    parseNpz(new Uint8Array(readFileSync(`${SHARED}/datasets/npz/${name}.npz`))),
    options,
  );

async function outputsOf(bytes: Uint8Array, set: EvaluationSet): Promise<CollectedOutputs> {
  const session = await runtime.createSession(bytes, { intraOpThreads: 1 });
  try {
    return await collectOutputs(session, set);
  } finally {
    await session.release();
  }
}

/** Per-sample mean squared error between the first output and the first input (reconstruction error). */
function perSampleMse(outputs: CollectedOutputs, set: EvaluationSet): Float64Array {
  const output = outputs.values().next().value?.data ?? new Float64Array();
  const input = set.inputs.values().next().value?.data as Float32Array;
  const per = output.length / set.samples;
  return Float64Array.from({ length: set.samples }, (_, s) => {
    let sum = 0;
    for (let k = s * per; k < (s + 1) * per; k++) sum += ((output[k] as number) - (input[k] as number)) ** 2;
    return sum / per;
  });
}

async function fusedOps(bytes: Uint8Array): Promise<Record<string, number>> {
  const dir = mkdtempSync(join(tmpdir(), "ew-bench-"));
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
    for (const node of parseModel(new Uint8Array(readFileSync(path))).graph.node)
      histogram[node.opType] = (histogram[node.opType] ?? 0) + 1;
    return histogram;
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

const round = (x: number, digits = 4) => Number(x.toFixed(digits));
const report: Record<string, unknown>[] = [];
for (const { model: name, calibration, evaluation } of CASES) {
  const bytes = new Uint8Array(readFileSync(`${SHARED}/models/${name}.onnx`));
  const model = parseModel(bytes);
  const calibrationSet = loadSet(model, calibration, { batchSize: 64 });
  const evaluationSet = loadSet(model, evaluation, { maxSamples, batchSize: 100 });
  const reference = await outputsOf(bytes, evaluationSet);
  const referenceMse = perSampleMse(reference, evaluationSet);
  const mean = (v: Float64Array) => v.reduce((a, b) => a + b, 0) / v.length;
  const entry: Record<string, unknown> = {
    model: name,
    samples: evaluationSet.samples,
    fp32: {
      sizeBytes: bytes.byteLength,
      ...(evaluationSet.labels
        ? { top1: computeLabelAccuracy(reference, evaluationSet) }
        : { mse: round(mean(referenceMse), 6) }),
    },
  };
  const variants: { key: string; bytes: Uint8Array }[] = [{ key: "fp32", bytes }];
  for (const method of methods) {
    const start = performance.now();
    const quantized = await createQuantizeStaticInt8Pass({ calibration: method }).run(model, {
      log: () => undefined,
      runtime,
      data: { calibration: calibrationSet },
    });
    const passMs = performance.now() - start;
    const qBytes = serializeModel(quantized);
    if (BENCH_ENV.writeDir) writeFileSync(join(BENCH_ENV.writeDir, `${name}-${method}.onnx`), qBytes);
    variants.push({ key: method, bytes: qBytes });
    const outputs = await outputsOf(qBytes, evaluationSet);
    const mse = perSampleMse(outputs, evaluationSet);
    entry[method] = {
      passMs: Math.round(passMs),
      sizeRatio: round(qBytes.byteLength / bytes.byteLength),
      ...(evaluationSet.labels
        ? { top1: computeLabelAccuracy(outputs, evaluationSet) }
        : {
            mseRatio: round(mean(mse) / mean(referenceMse)),
            spearman: round(spearmanRho(referenceMse, mse)),
          }),
      fusedOps: await fusedOps(qBytes),
    };
  }
  for (const batch of [1, 32]) {
    const stats = await measureLatencySideBySide({
      runtime,
      models: variants,
      feeds: getBatchFeeds(evaluationSet, 0, batch),
      runs: batch === 1 ? latencyRuns : Math.ceil(latencyRuns / 8),
      warmupRuns: 20,
      intraOpThreads: 1,
      rounds: 20,
    });
    const fp32 = stats.get("fp32");
    for (const { key } of variants) {
      const s = stats.get(key);
      if (!s || !fp32) continue;
      const target = entry[key] as Record<string, unknown>;
      target[`latencyBatch${batch}`] = {
        p50Ms: round(s.p50Ms),
        cpuMsPerRun: round(s.cpuMsPerRun),
        ...(key === "fp32"
          ? {}
          : {
              p50Ratio: round(s.p50Ms / fp32.p50Ms, 3),
              cpuRatio: round(s.cpuMsPerRun / fp32.cpuMsPerRun, 3),
            }),
      };
    }
  }
  report.push(entry);
}
console.log(
  JSON.stringify({ runtime: runtime.name, intraOpThreads: 1, maxSamples, latencyRuns, report }, null, 2),
);
