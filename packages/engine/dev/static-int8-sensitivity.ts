/**
 * How much 8-bit rounding of one activation at a time costs nab-conv-autoencoder: a Q→DQ pair (uint8,
 * range from the calibration set) on each Relu output and on the input, in the float model, compared
 * with fp32 on the evaluation windows (reconstruction MSE ratio, Spearman ρ of per-window MSE).
 *   npx tsx dev/static-int8-sensitivity.ts [minmax|percentile|entropy]
 */
import { readFileSync } from "node:fs";
import ort from "onnxruntime-node";
import { readBenchEnv } from "../bench/env";
import { parseNpz } from "../src/data/npz";
import { createEvaluationSet, type EvaluationSet } from "../src/eval/dataset";
import { collectOutputs } from "../src/eval/evaluate";
import { spearmanRho } from "../src/eval/rank-metrics";
import { parseModel, serializeModel } from "../src/onnx/codec";
import { DATA_TYPE } from "../src/onnx/data-type";
import { sortTopologically } from "../src/onnx/graph";
import type { OnnxModel } from "../src/onnx/model";
import { createTensor } from "../src/onnx/tensor";
import { collectStatistics } from "../src/passes/calibration/collect";
import {
  computeQuantParams,
  createDequantizeNode,
  createQuantizeNode,
  createZeroPointTensor,
} from "../src/passes/qdq";
import { type CalibrationMethod, computeRange } from "../src/passes/quantize-static-int8";
import { createOrtRuntime, type OrtModuleLike } from "../src/runtime";

const SHARED = readBenchEnv().sharedDir;
const method = (process.argv[2] ?? "minmax") as CalibrationMethod;
const runtime = createOrtRuntime(ort as unknown as OrtModuleLike);
const model = parseModel(new Uint8Array(readFileSync(`${SHARED}/models/nab-conv-autoencoder.onnx`)));
const load = (name: string) =>
  createEvaluationSet(model, parseNpz(new Uint8Array(readFileSync(`${SHARED}/datasets/npz/${name}.npz`))), {
    batchSize: 100,
  });
const calibration = load("nab-windows-calib-256");
const evaluation = load("nab-windows-eval-2k");
const tensors = [
  "window",
  ...model.graph.node.filter((n) => n.opType === "Relu").map((n) => n.output[0] ?? ""),
];
const stats = await collectStatistics({
  model,
  tensors,
  runtime,
  data: calibration,
  histograms: method !== "minmax",
});

async function windowMse(candidate: OnnxModel, set: EvaluationSet): Promise<Float64Array> {
  const session = await runtime.createSession(serializeModel(candidate), { intraOpThreads: 1 });
  const output = (await collectOutputs(session, set)).get("reconstruction")?.data ?? new Float64Array();
  await session.release();
  const input = set.inputs.get("window")?.data as Float32Array;
  return Float64Array.from({ length: set.samples }, (_, s) => {
    let sum = 0;
    for (let k = s * 64; k < (s + 1) * 64; k++) sum += ((output[k] as number) - (input[k] as number)) ** 2;
    return sum / 64;
  });
}

/** The float model with a Q→DQ pair on each of `names`. */
function withQdq(names: readonly string[]): OnnxModel {
  const copy = structuredClone(model);
  for (const name of names) {
    const entry = stats.get(name);
    if (!entry) continue;
    const params = computeQuantParams(computeRange(entry, method, 99.99), "uint8");
    copy.graph.initializer.push(
      createTensor(`${name}_s`, DATA_TYPE.FLOAT, [], Float32Array.of(params.scale)),
      createZeroPointTensor(`${name}_z`, params),
    );
    for (const node of copy.graph.node) node.input = node.input.map((i) => (i === name ? `${name}_dq` : i));
    copy.graph.node.push(
      createQuantizeNode(name, `${name}_s`, `${name}_z`, `${name}_q`),
      createDequantizeNode(`${name}_q`, `${name}_s`, `${name}_z`, `${name}_dq`),
    );
  }
  copy.graph.node = sortTopologically(copy.graph).order;
  return copy;
}

const mean = (v: Float64Array) => v.reduce((a, b) => a + b, 0) / v.length;
const reference = await windowMse(model, evaluation);
const rows = [];
for (const names of [...tensors.map((t) => [t]), tensors]) {
  const mse = await windowMse(withQdq(names), evaluation);
  rows.push({
    quantized: names.length === 1 ? names[0] : "all of the above",
    mseRatio: Number((mean(mse) / mean(reference)).toFixed(3)),
    spearman: Number(spearmanRho(reference, mse).toFixed(4)),
  });
}
console.log(JSON.stringify({ method, fp32Mse: mean(reference), rows }, null, 2));
