/**
 * quantize-static-int8: static (calibrated) 8-bit quantization in QDQ form. Weights are int8,
 * symmetric, per output channel (Conv axis 0, Gemm transB=1 axis 0 / transB=0 axis 1, MatMul [K, N]
 * axis 1); biases are int32 with scale x_scale × w_scale and zero point 0; activations get
 * QuantizeLinear→DequantizeLinear pairs whose ranges come from running the model over calibration
 * data (minmax, percentile or entropy). onnxruntime's graph optimizer fuses the pattern into
 * QLinearConv / QGemm / QLinearMatMul / QLinearAdd / QLinearGlobalAveragePool; see
 * static-quant-plan.ts for where the pairs go and why.
 *
 * Choices, measured with onnxruntime-node 1.30 (1 intra-op thread) on a 2-core AVX2 CPU without VNNI,
 * ResNet-14 on 2000 CIFAR-10 test images (fp32 top-1 0.859):
 * - Activations uint8 asymmetric (default). On x86 ORT fuses int8 activations only after converting
 *   them to uint8 itself and left 9 of 15 Convs unfused here (39 DequantizeLinear left, slower); its
 *   fused kernels are u8 activations × s8 weights. 'int8' remains for targets with s8×s8 kernels (ARM).
 * - Weights int8 with zero point 0, so ORT packs them for its symmetric u8×s8 conv kernel (the fastest
 *   int8 path it has on x86), limited to 7 bits (±63, `reduceRange`, default on): that AVX2 kernel
 *   (vpmaddubsw) saturates int16 pair sums when 255 × 127 × 2 > 32767, which cost 1.25 points of top-1
 *   (0.8465) with full 8-bit weights; with 7 bits top-1 is 0.861. Stored as uint8 + 128 (`weightType`)
 *   the full 8-bit grid is exact too (0.8595) but runs on ORT's slower asymmetric u8×u8 path (~15 %).
 * - entropy calibration (default; TensorRT-style KL threshold with the zero spike flattened): top-1
 *   0.862 (minmax 0.861, percentile 99.99 0.8605), and on nab-conv-autoencoder the only method whose
 *   per-window anomaly scores keep Spearman ρ ≥ 0.98 vs fp32 (0.986; minmax 0.959, percentile 0.969),
 *   at the price of a higher reconstruction MSE (22.7× fp32; minmax 7.7×: quantizing that model's input
 *   alone to 8 bits already costs 7×, its decoder amplifies the rounding noise). Pass
 *   `calibration: 'minmax'` where the absolute error matters more than the ranking.
 * Latency: all Conv/Add/pool/Gemm nodes of ResNet-14 fuse, yet at batch 1 the int8 model takes ~1.1× the
 * fp32 latency here: ORT's u8×s8 QLinearConv on AVX2 without VNNI is slower per layer than its fp32
 * NCHWc Conv (profiled 1.9–2.3 ms vs 1.6–1.8 ms of conv kernel time per inference, dev/profile-ort-ops.ts).
 * CPUs with VNNI or ARM dot-product instructions are where the integer kernels pay off.
 */
import { EvaluationError, PassError } from "../errors";
import { createEvaluationSet, type EvaluationSet } from "../eval/dataset";
import { createConstantResolver } from "../onnx/constants";
import { createNameGenerator, findDefaultOpsetVersion } from "../onnx/graph";
import type { OnnxModel } from "../onnx/model";
import { findOpsetUpgradeBlockers, raiseDefaultOpset } from "../onnx/opset";
import type { Pass, PassContext } from "../types";
import { collectStatistics, type TensorStatistics } from "./calibration/collect";
import { computeEntropyRange } from "./calibration/entropy";
import { computeMinMaxRange } from "./calibration/minmax";
import { computePercentileRange, DEFAULT_PERCENTILE } from "./calibration/percentile";
import type { TensorRange } from "./calibration/statistics";
import { type ActivationType, computeQuantParams, type QuantParams } from "./qdq";
import {
  planStaticQuantization,
  STATIC_QUANTIZABLE_OPS,
  type StaticQuantizableOp,
} from "./static-quant-plan";
import { applyStaticQuantization } from "./static-quant-rewrite";

export const CALIBRATION_METHODS = ["minmax", "percentile", "entropy"] as const;
export type CalibrationMethod = (typeof CALIBRATION_METHODS)[number];

export interface QuantizeStaticInt8Options {
  /** Ops to quantize; default Conv, Gemm, MatMul and Add. */
  ops?: readonly StaticQuantizableOp[];
  /**
   * Node names kept in float. Their inputs may still be dequantized outputs of quantized neighbours, and
   * their output is rounded to 8 bits where a quantized node reads it (exclude that reader too to avoid it).
   */
  excludeNodes?: readonly string[];
  /** One weight scale per output channel (default) instead of one per tensor. */
  perChannel?: boolean;
  /** How activation ranges are chosen from the calibration data; default 'entropy' (see the file comment). */
  calibration?: CalibrationMethod;
  /** Percentile of |x| kept when `calibration` is 'percentile'; default 99.99. */
  percentile?: number;
  /** Activation storage type; default 'uint8' (see the file comment). */
  activationType?: ActivationType;
  /** Storage of the symmetric int8 weight grid: 'int8' (zero point 0, default) or 'uint8' (q + 128, zero point 128). */
  weightType?: "int8" | "uint8";
  /** 7-bit weights (±63) so x86 u8×s8 kernels without VNNI cannot saturate. Default true. */
  reduceRange?: boolean;
  /** Samples per calibration run; default the calibration set's batch size. */
  batchSize?: number;
}

export const DEFAULT_CALIBRATION: CalibrationMethod = "entropy";

const REQUIRED_OPSET = 13; // per-axis QuantizeLinear/DequantizeLinear

export function createQuantizeStaticInt8Pass(options: QuantizeStaticInt8Options = {}): Pass {
  const method = options.calibration ?? DEFAULT_CALIBRATION;
  if (!CALIBRATION_METHODS.includes(method)) {
    throw new PassError(
      "PASS_OPTIONS_INVALID",
      `unknown calibration method '${method}' (use ${CALIBRATION_METHODS.join(", ")})`,
    );
  }
  const percentile = options.percentile ?? DEFAULT_PERCENTILE;
  if (!(percentile > 0 && percentile <= 100)) {
    throw new PassError("PASS_OPTIONS_INVALID", `percentile must be in (0, 100], got ${percentile}`);
  }
  const activationType = options.activationType ?? "uint8";
  return {
    name: "quantize-static-int8",
    variantName: "int8-static",
    description:
      "8-bit weights (symmetric, per channel) and activations calibrated on sample data, as QDQ that onnxruntime fuses into QLinearConv/QLinearMatMul",
    async run(input: OnnxModel, context: PassContext): Promise<OnnxModel> {
      const supplied = context.data?.calibration;
      if (!supplied) {
        throw new PassError(
          "PASS_NEEDS_DATA",
          "quantize-static-int8 needs calibration data to measure activation ranges: pass --data calib.npz " +
            "(a few hundred representative samples, one array per model input, e.g. np.savez('calib.npz', input=x))",
        );
      }
      const runtime = context.runtime;
      if (!runtime) {
        throw new PassError(
          "PASS_NOT_APPLICABLE",
          "quantize-static-int8 needs a runtime to run calibration; run it where onnxruntime-node is available",
        );
      }
      if (input.graph.node.some((n) => n.opType === "QuantizeLinear" || n.opType === "DequantizeLinear")) {
        throw new PassError(
          "PASS_NOT_APPLICABLE",
          "the model is already quantized (it has QuantizeLinear/DequantizeLinear nodes)",
        );
      }
      const model = structuredClone(input);
      ensureOpset(model, context);
      const data = checkCalibrationData(model, supplied, options.batchSize);
      const plan = planStaticQuantization(model, createConstantResolver(model), {
        ops: new Set(options.ops ?? STATIC_QUANTIZABLE_OPS),
        exclude: new Set(options.excludeNodes ?? []),
      });
      if (plan.weighted.length === 0) {
        throw new PassError(
          "PASS_NOT_APPLICABLE",
          "quantize-static-int8 found nothing to quantize: no Conv/Gemm/MatMul node with a constant float32 weight" +
            (plan.skipped.length ? ` (skipped: ${plan.skipped.slice(0, 3).join("; ")})` : ""),
        );
      }
      const roots = [...new Set(plan.tensors.values())];
      const stats = await collectStatistics({
        model,
        tensors: roots,
        runtime,
        data,
        histograms: method !== "minmax",
      });
      const params = new Map<string, QuantParams>();
      for (const [name, entry] of stats) {
        params.set(name, computeQuantParams(computeRange(entry, method, percentile), activationType));
        if (entry.range.nonFinite > 0)
          context.log(`ignored ${entry.range.nonFinite} non-finite value(s) of '${name}'`);
      }
      const result = applyStaticQuantization(model, plan, params, {
        perChannel: options.perChannel ?? true,
        weightType: options.weightType ?? "int8",
        reduceRange: options.reduceRange ?? true,
        newName: createNameGenerator(model),
      });
      context.log(
        `quantized ${Object.entries(result.counts)
          .map(([op, n]) => `${n} ${op}`)
          .join(
            ", ",
          )}; ${result.activations} activation(s) as ${activationType} calibrated with ${method} on ${data.samples} sample(s)`,
      );
      for (const line of plan.skipped) context.log(`kept in float: ${line}`);
      for (const line of result.warnings) context.log(line);
      return model;
    },
  };
}

export const quantizeStaticInt8Pass: Pass = createQuantizeStaticInt8Pass();

export function computeRange(
  entry: TensorStatistics,
  method: CalibrationMethod,
  percentile: number,
): TensorRange {
  if (method === "minmax" || !entry.histogram) return computeMinMaxRange(entry.range);
  if (method === "percentile") return computePercentileRange(entry.range, entry.histogram, percentile);
  return computeEntropyRange(entry.range, entry.histogram);
}

/** Re-checks the calibration arrays against this model's inputs (names, dtypes, fixed dims, sample count). */
function checkCalibrationData(model: OnnxModel, data: EvaluationSet, batchSize?: number): EvaluationSet {
  try {
    return createEvaluationSet(model, data.inputs, {
      maxSamples: data.samples,
      batchSize: batchSize ?? data.batchSize,
    });
  } catch (error) {
    if (error instanceof EvaluationError) {
      throw new EvaluationError(
        "DATA_MISMATCH",
        `calibration data does not fit the model: ${error.message}`,
        {
          cause: error,
        },
      );
    }
    throw error;
  }
}

function ensureOpset(model: OnnxModel, context: PassContext): void {
  const version = findDefaultOpsetVersion(model) ?? 1;
  if (version >= REQUIRED_OPSET) return;
  const blockers = findOpsetUpgradeBlockers(model, REQUIRED_OPSET);
  if (blockers.length > 0) {
    throw new PassError(
      "OPSET_UNSUPPORTED",
      `static int8 quantization needs opset ${REQUIRED_OPSET} (per-channel QuantizeLinear/DequantizeLinear) but the model ` +
        `uses opset ${version}, and raising it would change the meaning of ${blockers.slice(0, 5).join(", ")}. ` +
        "Re-export the model with opset_version=13 (torch.onnx.export(..., opset_version=13)) and try again.",
    );
  }
  raiseDefaultOpset(model, REQUIRED_OPSET);
  context.log(
    `raised default opset from ${version} to ${REQUIRED_OPSET} (no op in the model changed meaning)`,
  );
}
