/**
 * QDQ building blocks for static quantization: activation quantization parameters from a calibrated
 * range, QuantizeLinear/DequantizeLinear emitters, and int32 bias quantization.
 */
import { createIntAttribute } from "../onnx/attributes";
import { createNode } from "../onnx/builder";
import { DATA_TYPE } from "../onnx/data-type";
import type { Node, Tensor } from "../onnx/model";
import { createTensor } from "../onnx/tensor";
import type { TensorRange } from "./calibration/statistics";
import { roundHalfToEven } from "./quantize-weights";

export const ACTIVATION_TYPES = ["uint8", "int8"] as const;
export type ActivationType = (typeof ACTIVATION_TYPES)[number];

export interface QuantParams {
  /** float32-representable scale (> 0). */
  scale: number;
  zeroPoint: number;
  type: ActivationType;
}

const LIMITS: Record<ActivationType, [number, number]> = { uint8: [0, 255], int8: [-128, 127] };

/**
 * Asymmetric 8-bit parameters covering `range` (widened to include 0). A range starting at 0 maps to the
 * type's lowest value (zero point 0 for uint8, -128 for int8), which is what lets onnxruntime drop a
 * Relu between an op and its QuantizeLinear.
 */
export function computeQuantParams(range: TensorRange, type: ActivationType): QuantParams {
  const [qmin, qmax] = LIMITS[type];
  const min = Math.min(0, range.min);
  const max = Math.max(0, range.max);
  // A constant-zero tensor (e.g. a dead Relu): any scale represents it; keep 0 at the type's lowest value.
  if (!(max > min) || !Number.isFinite(max - min)) return { scale: 1, zeroPoint: qmin, type };
  const scale = Math.fround((max - min) / (qmax - qmin));
  const zeroPoint = Math.max(qmin, Math.min(qmax, roundHalfToEven(qmin - min / scale)));
  return { scale, zeroPoint, type };
}

/** What ONNX QuantizeLinear computes, for tests and for quantizing constant inputs. */
export function quantizeValues(values: ArrayLike<number>, params: QuantParams): Int32Array {
  const [qmin, qmax] = LIMITS[params.type];
  return Int32Array.from(values, (v) =>
    Math.max(qmin, Math.min(qmax, roundHalfToEven(v / params.scale) + params.zeroPoint)),
  );
}

export function createZeroPointTensor(name: string, params: QuantParams): Tensor {
  return params.type === "uint8"
    ? createTensor(name, DATA_TYPE.UINT8, [], Uint8Array.of(params.zeroPoint))
    : createTensor(name, DATA_TYPE.INT8, [], Int8Array.of(params.zeroPoint));
}

export function createQuantizedTensor(
  name: string,
  dims: number[],
  values: Int32Array,
  type: ActivationType,
): Tensor {
  return type === "uint8"
    ? createTensor(name, DATA_TYPE.UINT8, dims, Uint8Array.from(values))
    : createTensor(name, DATA_TYPE.INT8, dims, Int8Array.from(values));
}

/** Q/DQ nodes are left unnamed (names are optional in ONNX): they would add ~5 % to a small int8 model. */
export function createQuantizeNode(input: string, scale: string, zeroPoint: string, output: string): Node {
  return createNode("QuantizeLinear", [input, scale, zeroPoint], [output]);
}

export function createDequantizeNode(
  input: string,
  scale: string,
  zeroPoint: string | undefined,
  output: string,
  axis?: number,
): Node {
  return createNode("DequantizeLinear", zeroPoint ? [input, scale, zeroPoint] : [input, scale], [output], {
    ...(axis !== undefined ? { attributes: [createIntAttribute("axis", axis)] } : {}),
  });
}

const INT32_MAX = 2 ** 31 - 1;

/**
 * int32 bias for an integer Conv/Gemm: q = round(b / (x_scale × w_scale[c])), scale x_scale × w_scale[c],
 * zero point 0 (what QLinearConv/QGemm expect). Returns how many values had to be clamped to int32.
 */
export function quantizeBias(
  bias: Float32Array,
  inputScale: number,
  weightScales: Float32Array,
): { values: Int32Array; scales: Float32Array; clamped: number } {
  const channels = bias.length;
  const scales = new Float32Array(channels);
  const values = new Int32Array(channels);
  let clamped = 0;
  for (let c = 0; c < channels; c++) {
    const weightScale = (weightScales.length === 1 ? weightScales[0] : weightScales[c]) as number;
    const scale = Math.fround(inputScale * weightScale);
    scales[c] = scale;
    const q = roundHalfToEven((bias[c] as number) / scale);
    if (Math.abs(q) > INT32_MAX) clamped++;
    values[c] = Math.max(-INT32_MAX, Math.min(INT32_MAX, q));
  }
  return { values, scales, clamped };
}
