/**
 * Which operators exist at which opset. For every default-domain (ai.onnx) operator: the opset
 * versions in which ONNX (re)defined it, up to opset 21 (ONNX 1.16), taken from the ONNX operator
 * changelog; an op exists at opset N when its first version is ≤ N and it was not deprecated at or
 * before N. The com.microsoft list holds the onnxruntime contrib ops the engine emits or meets in
 * exported/quantized models (all at version 1 of that domain).
 */

/** Default-domain opsets the engine reads and rewrites. */
export const MIN_VALIDATED_OPSET = 7;
export const MAX_VALIDATED_OPSET = 21;

/** op → every opset version that defined or changed it (ascending). */
const V = (...versions: number[]): readonly number[] => versions;

export const DEFAULT_DOMAIN_OP_VERSIONS: Readonly<Record<string, readonly number[]>> = {
  Abs: V(1, 6, 13),
  Acos: V(7),
  Acosh: V(9),
  Add: V(1, 6, 7, 13, 14),
  AffineGrid: V(20),
  And: V(1, 7),
  ArgMax: V(1, 11, 12, 13),
  ArgMin: V(1, 11, 12, 13),
  Asin: V(7),
  Asinh: V(9),
  Atan: V(7),
  Atanh: V(9),
  AveragePool: V(1, 7, 10, 11, 19),
  BatchNormalization: V(1, 6, 7, 9, 14, 15),
  Bernoulli: V(15),
  BitShift: V(11),
  BitwiseAnd: V(18),
  BitwiseNot: V(18),
  BitwiseOr: V(18),
  BitwiseXor: V(18),
  BlackmanWindow: V(17),
  Cast: V(1, 6, 9, 13, 19, 21),
  CastLike: V(15, 19, 21),
  Ceil: V(1, 6, 13),
  Celu: V(12),
  CenterCropPad: V(18),
  Clip: V(1, 6, 11, 12, 13),
  Col2Im: V(18),
  Compress: V(9, 11),
  Concat: V(1, 4, 11, 13),
  ConcatFromSequence: V(11),
  Constant: V(1, 9, 11, 12, 13, 19, 21),
  ConstantOfShape: V(9, 20, 21),
  Conv: V(1, 11),
  ConvInteger: V(10),
  ConvTranspose: V(1, 11),
  Cos: V(7),
  Cosh: V(9),
  CumSum: V(11, 14),
  DFT: V(17, 20),
  DeformConv: V(19),
  DepthToSpace: V(1, 11, 13),
  DequantizeLinear: V(10, 13, 19, 21),
  Det: V(11),
  Div: V(1, 6, 7, 13, 14),
  Dropout: V(1, 6, 7, 10, 12, 13),
  DynamicQuantizeLinear: V(11),
  Einsum: V(12),
  Elu: V(1, 6),
  Equal: V(1, 7, 11, 13, 19),
  Erf: V(9, 13),
  Exp: V(1, 6, 13),
  Expand: V(8, 13),
  EyeLike: V(9),
  Flatten: V(1, 9, 11, 13, 21),
  Floor: V(1, 6, 13),
  GRU: V(1, 3, 7, 14),
  Gather: V(1, 11, 13),
  GatherElements: V(11, 13),
  GatherND: V(11, 12, 13),
  Gelu: V(20),
  Gemm: V(1, 6, 7, 9, 11, 13),
  GlobalAveragePool: V(1),
  GlobalLpPool: V(1, 2),
  GlobalMaxPool: V(1),
  Greater: V(1, 7, 9, 13),
  GreaterOrEqual: V(12, 16),
  GridSample: V(16, 20),
  GroupNormalization: V(18, 21),
  HammingWindow: V(17),
  HannWindow: V(17),
  HardSigmoid: V(1, 6),
  HardSwish: V(14),
  Hardmax: V(1, 11, 13),
  Identity: V(1, 13, 14, 16, 19, 21),
  If: V(1, 11, 13, 16, 19, 21),
  ImageDecoder: V(20),
  InstanceNormalization: V(1, 6),
  IsInf: V(10, 20),
  IsNaN: V(9, 13, 20),
  LRN: V(1, 13),
  LSTM: V(1, 7, 14),
  LayerNormalization: V(17),
  LeakyRelu: V(1, 6, 16),
  Less: V(1, 7, 9, 13),
  LessOrEqual: V(12, 16),
  Log: V(1, 6, 13),
  LogSoftmax: V(1, 11, 13),
  Loop: V(1, 11, 13, 16, 19, 21),
  LpNormalization: V(1),
  LpPool: V(1, 2, 11, 18),
  MatMul: V(1, 9, 13),
  MatMulInteger: V(10),
  Max: V(1, 6, 8, 12, 13),
  MaxPool: V(1, 8, 10, 11, 12),
  MaxRoiPool: V(1),
  MaxUnpool: V(9, 11),
  Mean: V(1, 6, 8, 13),
  MeanVarianceNormalization: V(9, 13),
  MelWeightMatrix: V(17),
  Min: V(1, 6, 8, 12, 13),
  Mish: V(18),
  Mod: V(10, 13),
  Mul: V(1, 6, 7, 13, 14),
  Multinomial: V(7),
  Neg: V(1, 6, 13),
  NegativeLogLikelihoodLoss: V(12, 13),
  NonMaxSuppression: V(10, 11),
  NonZero: V(9, 13),
  Not: V(1),
  OneHot: V(9, 11),
  Optional: V(15),
  OptionalGetElement: V(15, 18),
  OptionalHasElement: V(15, 18),
  Or: V(1, 7),
  PRelu: V(1, 6, 7, 9, 16),
  Pad: V(1, 2, 11, 13, 18, 19, 21),
  Pow: V(1, 7, 12, 13, 15),
  QLinearConv: V(10),
  QLinearMatMul: V(10, 21),
  QuantizeLinear: V(10, 13, 19, 21),
  RNN: V(1, 7, 14),
  RandomNormal: V(1),
  RandomNormalLike: V(1),
  RandomUniform: V(1),
  RandomUniformLike: V(1),
  Range: V(11),
  Reciprocal: V(1, 6, 13),
  ReduceL1: V(1, 11, 13, 18),
  ReduceL2: V(1, 11, 13, 18),
  ReduceLogSum: V(1, 11, 13, 18),
  ReduceLogSumExp: V(1, 11, 13, 18),
  ReduceMax: V(1, 11, 12, 13, 18, 20),
  ReduceMean: V(1, 11, 13, 18),
  ReduceMin: V(1, 11, 12, 13, 18, 20),
  ReduceProd: V(1, 11, 13, 18),
  ReduceSum: V(1, 11, 13),
  ReduceSumSquare: V(1, 11, 13, 18),
  RegexFullMatch: V(20),
  Relu: V(1, 6, 13, 14),
  Reshape: V(1, 5, 13, 14, 19, 21),
  Resize: V(10, 11, 13, 18, 19),
  ReverseSequence: V(10),
  RoiAlign: V(10, 16),
  Round: V(11),
  STFT: V(17),
  Scan: V(8, 9, 11, 16, 19, 21),
  Scatter: V(9, 11),
  ScatterElements: V(11, 13, 16, 18),
  ScatterND: V(11, 13, 16, 18),
  Selu: V(1, 6),
  SequenceAt: V(11),
  SequenceConstruct: V(11),
  SequenceEmpty: V(11),
  SequenceErase: V(11),
  SequenceInsert: V(11),
  SequenceLength: V(11),
  SequenceMap: V(17),
  Shape: V(1, 13, 15, 19, 21),
  Shrink: V(9),
  Sigmoid: V(1, 6, 13),
  Sign: V(9, 13),
  Sin: V(7),
  Sinh: V(9),
  Size: V(1, 13, 19, 21),
  Slice: V(1, 10, 11, 13),
  Softmax: V(1, 11, 13),
  SoftmaxCrossEntropyLoss: V(12, 13),
  Softplus: V(1),
  Softsign: V(1),
  SpaceToDepth: V(1, 13),
  Split: V(1, 2, 11, 13, 18),
  SplitToSequence: V(11),
  Sqrt: V(1, 6, 13),
  Squeeze: V(1, 11, 13, 21),
  StringConcat: V(20),
  StringNormalizer: V(10),
  StringSplit: V(20),
  Sub: V(1, 6, 7, 13, 14),
  Sum: V(1, 6, 8, 13),
  Tan: V(7),
  Tanh: V(1, 6, 13),
  TfIdfVectorizer: V(9),
  ThresholdedRelu: V(10),
  Tile: V(1, 6, 13),
  TopK: V(1, 10, 11),
  Transpose: V(1, 13, 21),
  Trilu: V(14),
  Unique: V(11),
  Unsqueeze: V(1, 11, 13, 21),
  Upsample: V(1, 7, 9, 10),
  Where: V(9, 16),
  Xor: V(1, 7),
};

/** Ops ONNX deprecated: the opset from which the op no longer exists (its last version is marked deprecated). */
export const DEPRECATED_IN: Readonly<Record<string, number>> = {
  Upsample: 10,
  Scatter: 11,
};

/**
 * Experimental ops removed from ONNX (opset 10 era) that onnxruntime still loads for old models; reported
 * as warnings, never errors.
 */
export const LEGACY_EXPERIMENTAL_OPS: ReadonlySet<string> = new Set([
  "Affine",
  "Crop",
  "DynamicSlice",
  "ImageScaler",
  "ParametricSoftplus",
  "Scale",
  "ScaledTanh",
]);

/**
 * Default-domain ops onnxruntime also defines below their ONNX opset (its own schema since version 1:
 * LayerNormalization for fused exports, and the experimental versions of two later-promoted ops), so ORT
 * loads them in older-opset models while other runtimes reject them: reported as warnings.
 */
export const ORT_EARLY_DEFAULT_DOMAIN_OPS: ReadonlySet<string> = new Set([
  "LayerNormalization",
  "MeanVarianceNormalization",
  "ThresholdedRelu",
]);

/** onnxruntime contrib ops (domain com.microsoft) the engine knows; all are version 1 of that domain. */
export const MICROSOFT_DOMAIN_OPS: ReadonlySet<string> = new Set([
  "Attention",
  "BiasGelu",
  "DequantizeLinear",
  "DynamicQuantizeLSTM",
  "DynamicQuantizeMatMul",
  "EmbedLayerNormalization",
  "FastGelu",
  "FusedConv",
  "FusedGemm",
  "FusedMatMul",
  "GatherBlockQuantized",
  "Gelu",
  "GroupQueryAttention",
  "MatMulIntegerToFloat",
  "MatMulNBits",
  "MultiHeadAttention",
  "QAttention",
  "QGemm",
  "QLinearAdd",
  "QLinearAveragePool",
  "QLinearConcat",
  "QLinearConv",
  "QLinearGlobalAveragePool",
  "QLinearLeakyRelu",
  "QLinearMul",
  "QLinearReduceMean",
  "QLinearSigmoid",
  "QLinearSoftmax",
  "QLinearWhere",
  "QuantizeLinear",
  "QuickGelu",
  "RotaryEmbedding",
  "SkipLayerNormalization",
  "SkipSimplifiedLayerNormalization",
  "SimplifiedLayerNormalization",
]);

export type OpAvailability =
  | { status: "ok"; version: number }
  | { status: "too-new"; since: number }
  | { status: "deprecated"; since: number; deprecatedIn: number }
  | { status: "unknown" };

/**
 * Whether default-domain `opType` exists at `opset`, and which version of it applies
 * (the newest version ≤ opset).
 */
export function findDefaultDomainOp(opType: string, opset: number): OpAvailability {
  const versions = DEFAULT_DOMAIN_OP_VERSIONS[opType];
  if (!versions) return { status: "unknown" };
  const since = versions[0] ?? 1;
  if (since > opset) return { status: "too-new", since };
  const deprecatedIn = DEPRECATED_IN[opType];
  if (deprecatedIn !== undefined && opset >= deprecatedIn)
    return { status: "deprecated", since, deprecatedIn };
  let version = since;
  for (const v of versions) if (v <= opset) version = v;
  return { status: "ok", version };
}

/** Default-domain ops that exist at `opset` (sorted); for messages and tests. */
export function listDefaultDomainOps(opset: number): string[] {
  return Object.keys(DEFAULT_DOMAIN_OP_VERSIONS)
    .filter((op) => findDefaultDomainOp(op, opset).status === "ok")
    .sort();
}
