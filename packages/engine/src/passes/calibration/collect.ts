/**
 * Runs a model over calibration data with chosen intermediate tensors exposed as extra graph outputs
 * and folds every batch into per-tensor statistics (min/max, then optionally |x| histograms in a second
 * pass once the ranges are known). Only one batch of activations is alive at a time.
 */
import { PassError } from "../../errors";
import { type EvaluationSet, getBatches, getBatchFeeds } from "../../eval/dataset";
import { createValueInfo } from "../../onnx/builder";
import { serializeModel } from "../../onnx/codec";
import type { OnnxModel } from "../../onnx/model";
import type { Runtime, RuntimeSession, RuntimeTensor } from "../../types";
import {
  type AbsHistogram,
  createAbsHistogram,
  createRangeStatistics,
  DEFAULT_HISTOGRAM_BINS,
  type RangeStatistics,
  updateAbsHistogram,
  updateRangeStatistics,
} from "./statistics";

export interface TensorStatistics {
  range: RangeStatistics;
  /** Present when histograms were requested. */
  histogram?: AbsHistogram;
}

export interface CollectStatisticsOptions {
  model: OnnxModel;
  /** float32 tensors (graph inputs or node outputs) to observe. */
  tensors: readonly string[];
  runtime: Runtime;
  data: EvaluationSet;
  /** Also build |x| histograms (needed by percentile and entropy calibration). */
  histograms: boolean;
  histogramBins?: number;
}

/** A copy of the model (sharing weights) whose outputs also include `tensors`. */
export function exposeTensors(model: OnnxModel, tensors: readonly string[]): OnnxModel {
  const outputs = new Set(model.graph.output.map((o) => o.name));
  const inputs = new Set(model.graph.input.map((i) => i.name));
  const extra = tensors
    .filter((t) => !outputs.has(t) && !inputs.has(t))
    .map((t) => createValueInfo(t, "float32"));
  return { ...model, graph: { ...model.graph, output: [...model.graph.output, ...extra] } };
}

async function forEachBatch(
  session: RuntimeSession,
  data: EvaluationSet,
  tensors: readonly string[],
  visit: (name: string, values: Float32Array) => void,
): Promise<void> {
  for (const [start, count] of getBatches(data)) {
    const feeds = getBatchFeeds(data, start, count);
    const outputs = await session.run(feeds);
    for (const name of tensors) {
      const tensor: RuntimeTensor | undefined = feeds[name] ?? outputs[name];
      if (!tensor || !(tensor.data instanceof Float32Array)) {
        throw new PassError(
          "PASS_FAILED",
          `calibration expected float32 values for tensor '${name}' but the runtime returned ${tensor ? tensor.type : "nothing"}`,
        );
      }
      visit(name, tensor.data);
    }
  }
}

export async function collectStatistics(
  options: CollectStatisticsOptions,
): Promise<Map<string, TensorStatistics>> {
  const { tensors, runtime, data } = options;
  const stats = new Map<string, TensorStatistics>(
    tensors.map((t) => [t, { range: createRangeStatistics() }]),
  );
  const session = await runtime.createSession(serializeModel(exposeTensors(options.model, tensors)));
  try {
    await forEachBatch(session, data, tensors, (name, values) =>
      updateRangeStatistics((stats.get(name) as TensorStatistics).range, values),
    );
    if (options.histograms) {
      for (const entry of stats.values()) {
        const maxAbs = Math.max(Math.abs(entry.range.min), Math.abs(entry.range.max));
        entry.histogram = createAbsHistogram(maxAbs, options.histogramBins ?? DEFAULT_HISTOGRAM_BINS);
      }
      await forEachBatch(session, data, tensors, (name, values) =>
        updateAbsHistogram(stats.get(name)?.histogram as AbsHistogram, values),
      );
    }
  } finally {
    await session.release();
  }
  return stats;
}
