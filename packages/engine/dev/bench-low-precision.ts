/**
 * Side-by-side measurements for the low-precision passes on the shared models: size ratio, output
 * fidelity, mean next-token NLL (sensor-gpt), top-1 (cifar) and single-sample latency, all in one run.
 *   npx tsx dev/bench-low-precision.ts [maxSamples=2000] [latencyRuns=300]
 * Env: BENCH_MODELS=sensor-gpt,… and BENCH_VARIANTS=int4,fp16,… narrow the run.
 * Prints one JSON document. Not a test: latencies are noisy on a shared 2-core machine.
 */
import { readFileSync } from "node:fs";
import ort from "onnxruntime-node";
import { readBenchEnv } from "../bench/env";
import { parseNpz } from "../src/data/npz";
import { createEvaluationSet, getBatchFeeds } from "../src/eval/dataset";
import { collectOutputs, compareOutputs, computeLabelAccuracy, measureLatency } from "../src/eval/evaluate";
import { meanNegativeLogLikelihood } from "../src/eval/logit-metrics";
import { parseModel, serializeModel } from "../src/onnx/codec";
import type { OnnxModel } from "../src/onnx/model";
import { createFp16Pass } from "../src/passes/fp16";
import { createQuantizeDynamicInt8Pass } from "../src/passes/quantize-dynamic-int8";
import { createQuantizeInt4Pass } from "../src/passes/quantize-int4";
import { getPass } from "../src/passes/registry";
import { createOrtRuntime, type OrtModuleLike } from "../src/runtime";
import type { Pass } from "../src/types";

const BENCH_ENV = readBenchEnv();
const SHARED = BENCH_ENV.sharedDir;
const runtime = createOrtRuntime(ort as unknown as OrtModuleLike);
const maxSamples = Number(process.argv[2] ?? 2000);
const latencyRuns = Number(process.argv[3] ?? 300);
/** Variant label → pass. The registered passes with default options, plus option variants worth comparing. */
const PASSES: Record<string, () => Pass> = {
  "int8-dynamic": () => getPass("quantize-dynamic-int8"),
  "int8-dynamic+embeddings": () =>
    createQuantizeDynamicInt8Pass({ quantizeEmbeddings: true, compactConstants: true }),
  int4: () => getPass("quantize-int4"),
  "int4-block64": () => createQuantizeInt4Pass({ blockSize: 64 }),
  fp16: () => getPass("fp16"),
  "fp16-all-ops": () => createFp16Pass({ blockOps: [] }),
};
const variantsArg = BENCH_ENV.variants ?? Object.keys(PASSES);

const ALL_CASES = [
  { model: "sensor-gpt", data: "nab-tokens-eval-2k" },
  { model: "cifar10-resnet14", data: "cifar10-test-2k" },
  { model: "nab-conv-autoencoder", data: "nab-windows-eval-2k" },
];
const CASES = ALL_CASES.filter((c) => !BENCH_ENV.models || BENCH_ENV.models.includes(c.model));

/** Mean next-token NLL of the first output (logits) against the set's labels, when it has labels. */
function computeNll(
  outputs: Awaited<ReturnType<typeof collectOutputs>>,
  set: ReturnType<typeof createEvaluationSet>,
) {
  const first = outputs.values().next().value;
  const classes = first?.sampleDims[first.sampleDims.length - 1] ?? 1;
  if (!first || !set.labels || classes < 2) return undefined;
  return meanNegativeLogLikelihood(first.data, classes, set.labels.data as ArrayLike<number | bigint>);
}

async function evaluate(bytes: Uint8Array, set: ReturnType<typeof createEvaluationSet>) {
  const session = await runtime.createSession(bytes, { intraOpThreads: 1 });
  try {
    return await collectOutputs(session, set);
  } finally {
    await session.release();
  }
}

const report: Record<string, unknown>[] = [];
for (const { model: name, data } of CASES) {
  const bytes = new Uint8Array(readFileSync(`${SHARED}/models/${name}.onnx`));
  const model = parseModel(bytes);
  const set = createEvaluationSet(
    model,
    parseNpz(new Uint8Array(readFileSync(`${SHARED}/datasets/npz/${data}.npz`))),
    {
      maxSamples,
      batchSize: 50,
    },
  );
  const reference = await evaluate(bytes, set);
  const candidates: { name: string; bytes: Uint8Array; notes: string[] }[] = [
    { name: "fp32", bytes, notes: [] },
  ];
  for (const label of variantsArg) {
    const notes: string[] = [];
    const create = PASSES[label];
    if (!create) throw new Error(`unknown variant '${label}'; known: ${Object.keys(PASSES).join(", ")}`);
    try {
      const out = (await create().run(model, { log: (m) => notes.push(m), runtime })) as OnnxModel;
      candidates.push({ name: label, bytes: serializeModel(out), notes });
    } catch (error) {
      report.push({ model: name, variant: label, error: (error as Error).message });
    }
  }
  const one = getBatchFeeds(set, 0, set.fixedBatch ?? 1);
  // Latency: interleave variants in rounds so drift on the shared machine hits all of them alike.
  const latency = new Map<string, number[]>();
  for (let round = 0; round < 3; round++) {
    for (const c of candidates) {
      const stats = await measureLatency({
        runtime,
        bytes: c.bytes,
        feeds: one,
        runs: Math.ceil(latencyRuns / 3),
        intraOpThreads: 1,
      });
      latency.set(c.name, [...(latency.get(c.name) ?? []), stats.p50Ms]);
    }
  }
  const fp32Latency = Math.min(...(latency.get("fp32") ?? [Number.NaN]));
  for (const c of candidates) {
    const outputs = c.name === "fp32" ? reference : await evaluate(c.bytes, set);
    const fidelity = compareOutputs(reference, outputs, set);
    const p50 = Math.min(...(latency.get(c.name) ?? [Number.NaN]));
    report.push({
      model: name,
      variant: c.name,
      samples: set.samples,
      sizeBytes: c.bytes.byteLength,
      sizeRatio: +(c.bytes.byteLength / bytes.byteLength).toFixed(4),
      cosine: +fidelity.cosine.toFixed(6),
      minCosine: +fidelity.minCosine.toFixed(6),
      top1Agreement: fidelity.top1Agreement,
      nll: computeNll(outputs, set),
      accuracy: computeLabelAccuracy(outputs, set),
      p50Ms: +p50.toFixed(4),
      latencyRatio: +(p50 / fp32Latency).toFixed(3),
      notes: c.notes,
    });
  }
}
console.log(JSON.stringify({ runtime: runtime.name, maxSamples, latencyRuns, results: report }, null, 2));
