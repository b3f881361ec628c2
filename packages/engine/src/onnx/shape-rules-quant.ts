/**
 * Shape rules for quantized graphs, so inspection reports shapes and MACs for quantized variants:
 * QuantizeLinear / DequantizeLinear / DynamicQuantizeLinear (element types), the integer ops
 * (MatMulInteger, ConvInteger → int32), QLinearConv / QLinearMatMul (ai.onnx), and the onnxruntime
 * contrib ops the engine emits or ORT fuses to (com.microsoft: MatMulNBits, QGemm, QLinearAdd/Mul,
 * QLinearGlobalAveragePool, QLinearConcat, DynamicQuantizeMatMul, MatMulIntegerToFloat, and the
 * LayerNorm/Gelu family, which keep their input's shape).
 */
import { DATA_TYPE } from "./data-type";
import { broadcastShapes, int, type ShapeRule, type ShapeRuleContext, shapeOf } from "./shape-rule-helpers";
import { conv, gemm, globalPool, matmul } from "./shape-rules-nn";

/** The same rule applied to a subset of the node's inputs (quantized ops interleave scales and zero points). */
function on(rule: ShapeRule, indices: readonly number[], elemType?: number): ShapeRule {
  return (ctx) => {
    const inner: ShapeRuleContext = { ...ctx, inputs: indices.map((i) => ctx.inputs[i]) };
    const [first, ...rest] = rule(inner);
    return [{ ...first, ...(elemType !== undefined ? { elemType } : {}) }, ...rest];
  };
}

const quantizeLinear: ShapeRule = (ctx) => {
  const zeroPointType = ctx.inputs[2]?.elemType;
  const outputType = int(ctx, "output_dtype", 0);
  return [{ shape: shapeOf(ctx, 0), elemType: zeroPointType ?? (outputType || DATA_TYPE.UINT8) }];
};

const dequantizeLinear: ShapeRule = (ctx) => [
  { shape: shapeOf(ctx, 0), elemType: ctx.inputs[1]?.elemType ?? DATA_TYPE.FLOAT },
];

const dynamicQuantizeLinear: ShapeRule = (ctx) => [
  { shape: shapeOf(ctx, 0), elemType: DATA_TYPE.UINT8 },
  { shape: [], elemType: DATA_TYPE.FLOAT },
  { shape: [], elemType: DATA_TYPE.UINT8 },
];

const elementwise: ShapeRule = (ctx) => {
  const shapes = ctx.inputs.map((f) => f?.shape);
  if (shapes.some((s) => !s)) throw new Error("unknown input shape");
  return [{ shape: broadcastShapes(shapes as number[][]), elemType: ctx.inputs[0]?.elemType }];
};

const sameAsFirst: ShapeRule = (ctx) => [{ shape: shapeOf(ctx, 0), elemType: ctx.inputs[0]?.elemType }];

/** MatMulNBits: A [..., K] × (N × K packed weights) → [..., N]; N and K are attributes. */
const matMulNBits: ShapeRule = (ctx) => {
  const a = shapeOf(ctx, 0);
  const n = int(ctx, "N", 0);
  if (n <= 0) throw new Error("MatMulNBits without N");
  return [{ shape: [...a.slice(0, -1), n], elemType: ctx.inputs[0]?.elemType }];
};

/** QLinearConcat: Y_scale, Y_zero_point, then (X, scale, zero point) per input. */
const qlinearConcat: ShapeRule = (ctx) => {
  const xs = ctx.inputs.slice(2).filter((_, i) => i % 3 === 0);
  const shapes = xs.map((f) => f?.shape);
  const first = shapes[0];
  if (!first || shapes.some((s) => !s)) throw new Error("unknown input shape");
  const axisRaw = int(ctx, "axis", 0);
  const axis = axisRaw < 0 ? axisRaw + first.length : axisRaw;
  const shape = [...first];
  shape[axis] = (shapes as number[][]).reduce((s, x) => s + (x[axis] ?? 0), 0);
  return [{ shape, elemType: xs[0]?.elemType }];
};

/** Default-domain quantization ops. */
export const QUANT_SHAPE_RULES: Record<string, ShapeRule> = {
  QuantizeLinear: quantizeLinear,
  DequantizeLinear: dequantizeLinear,
  DynamicQuantizeLinear: dynamicQuantizeLinear,
  MatMulInteger: on(matmul, [0, 1], DATA_TYPE.INT32),
  ConvInteger: on(conv, [0, 1], DATA_TYPE.INT32),
  QLinearMatMul: (ctx) => on(matmul, [0, 3], ctx.inputs[7]?.elemType)(ctx),
  QLinearConv: (ctx) => on(conv, [0, 3], ctx.inputs[7]?.elemType)(ctx),
};

/** onnxruntime contrib ops (com.microsoft). */
export const MICROSOFT_SHAPE_RULES: Record<string, ShapeRule> = {
  QuantizeLinear: quantizeLinear,
  DequantizeLinear: dequantizeLinear,
  MatMulNBits: matMulNBits,
  DynamicQuantizeMatMul: on(matmul, [0, 1], DATA_TYPE.FLOAT),
  MatMulIntegerToFloat: on(matmul, [0, 1], DATA_TYPE.FLOAT),
  QGemm: (ctx) => on(gemm, [0, 3], ctx.inputs[8]?.elemType ?? DATA_TYPE.FLOAT)(ctx),
  QLinearAdd: on(elementwise, [0, 3]),
  QLinearMul: on(elementwise, [0, 3]),
  QLinearGlobalAveragePool: (ctx) => {
    if (int(ctx, "channels_last", 0) === 0) return on(globalPool, [0])(ctx);
    const x = shapeOf(ctx, 0);
    return [
      {
        shape: [x[0] ?? 1, ...x.slice(1, -1).map(() => 1), x[x.length - 1] ?? 1],
        elemType: ctx.inputs[0]?.elemType,
      },
    ];
  },
  QLinearConcat: qlinearConcat,
  QLinearSigmoid: sameAsFirst,
  QLinearLeakyRelu: sameAsFirst,
  QLinearSoftmax: sameAsFirst,
  FusedConv: conv,
  Gelu: sameAsFirst,
  FastGelu: sameAsFirst,
  BiasGelu: sameAsFirst,
  QuickGelu: sameAsFirst,
  SkipLayerNormalization: sameAsFirst,
  SkipSimplifiedLayerNormalization: sameAsFirst,
  SimplifiedLayerNormalization: sameAsFirst,
};
