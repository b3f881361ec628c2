/**
 * @edgewatt/engine — pure model work: ONNX parse/serialize/inspect/validate, passes, evaluation and
 * the energy model. No NATS, no database; inference goes through a caller-supplied Runtime.
 * Subpaths: `@edgewatt/engine/onnx` (the full ONNX IR toolkit), `@edgewatt/engine/energy`.
 */
export { isNpy, NPY_DTYPES, type NpyArray, type NpyData, type NpyDtype, parseNpy } from "./data/npy";
export { parseArrays, parseNpz } from "./data/npz";
export {
  ENGINE_ERROR_CODES,
  EnergyModelError,
  EngineError,
  type EngineErrorCode,
  EvaluationError,
  isEngineError,
  ModelValidationError,
  NpyFormatError,
  OnnxFormatError,
  PassError,
} from "./errors";
export { createEvaluationSet, type EvaluationSet, getBatchFeeds, sliceSamples } from "./eval/dataset";
export {
  type CollectedOutputs,
  collectOutputs,
  compareOutputs,
  type Fidelity,
  type LatencyStats,
  type MeasureLatencyOptions,
  measureLatency,
  type OutputFidelity,
} from "./eval/evaluate";
export {
  collectModelOutputs,
  DEFAULT_POWER_PROFILE,
  describeModelFigures,
  type EvaluatorOptions,
  evaluateVariant,
  measurePerformanceFigures,
  type VariantEvaluation,
} from "./eval/evaluator";
export {
  computeOutputFigures,
  detectOutputKind,
  type FidelityFigureOptions,
  type OutputKind,
} from "./eval/fidelity-figures";
export { computeRatios, type Figure, type Figures, hasRatio, latencyKeys } from "./eval/figures";
export { measureLatencySideBySide, type SideBySideOptions, type SideBySideStats } from "./eval/latency";
export { meanKlDivergence, meanNegativeLogLikelihood } from "./eval/logit-metrics";
export {
  createSubprocessMemoryProbe,
  type MemoryProbe,
  type SubprocessMemoryProbeOptions,
} from "./eval/memory-probe";
export {
  agreement,
  argmaxLastAxis,
  cosineSimilarity,
  maxAbsError,
  meanAbsError,
  quantile,
} from "./eval/metrics";
export { averageRanks, pearsonCorrelation, spearmanRho } from "./eval/rank-metrics";
export {
  createSyntheticArrays,
  DEFAULT_TOKEN_RANGE,
  describeSyntheticArrays,
  findIdRange,
  type SyntheticDataOptions,
} from "./eval/synthetic-data";
export { parseModel, serializeModel } from "./onnx/codec";
export { inspectModel, type ModelSummary } from "./onnx/inspect";
export type { OnnxModel } from "./onnx/model";
export { assertValidModel, type ModelIssue, validateModel } from "./onnx/validate";
export {
  AUTO_RECIPE,
  getDropReason,
  getMatMulShare,
  INT4_MIN_MATMUL_SHARE,
  isKnownRecipeEntry,
  LADDER,
  type PlannedVariant,
  planRecipe,
  type SkippedVariant,
  splitEntry,
} from "./optimize/ladder";
export {
  createOptimizeReport,
  type OptimizeReport,
  REPORT_SCHEMA_VERSION,
  type ReportContext,
  type ReportVariant,
  variantFileName,
} from "./optimize/report";
export {
  ACCURACY_AWARE_BASES,
  type AccuracyAwareBase,
  type AccuracyAwareOptions,
  type AccuracyAwareResult,
  type AccuracyGoal,
  accuracyAwarePass,
  createAccuracyAwarePass,
  runAccuracyAware,
} from "./passes/accuracy-aware";
export { type FoldBatchNormResult, foldBatchNormalization, foldBatchNormPass } from "./passes/fold-batchnorm";
export {
  type FoldConstantsOptions,
  type FoldConstantsResult,
  foldConstants,
  foldConstantsPass,
} from "./passes/fold-constants";
export { createFp16Pass, type Fp16Options, fp16Pass } from "./passes/fp16";
export { ORT_CPU_FP16_UNSUPPORTED_OPS } from "./passes/fp16-types";
export {
  createQuantizeDynamicInt8Pass,
  QUANTIZABLE_OPS,
  type QuantizableOp,
  type QuantizeDynamicInt8Options,
  quantizeDynamicInt8Pass,
} from "./passes/quantize-dynamic-int8";
export {
  type GatherWeightFormat,
  type QuantizeGatherWeightsOptions,
  quantizeGatherWeights,
} from "./passes/quantize-gather-weights";
export { createQuantizeInt4Pass, type QuantizeInt4Options, quantizeInt4Pass } from "./passes/quantize-int4";
export {
  CALIBRATION_METHODS,
  type CalibrationMethod,
  createQuantizeStaticInt8Pass,
  type QuantizeStaticInt8Options,
  quantizeStaticInt8Pass,
} from "./passes/quantize-static-int8";
export { findPass, getPass, listPasses, registerPass } from "./passes/registry";
export { createOrtRuntime, type OrtModuleLike } from "./runtime";
export type {
  Pass,
  PassContext,
  PassStatus,
  ProgressEvent,
  Runtime,
  RuntimeSession,
  RuntimeSessionOptions,
  RuntimeTensor,
  RuntimeTensorData,
} from "./types";
export {
  type DataInfo,
  type DroppedVariant,
  type OptimizeData,
  type OptimizeEvaluation,
  type OptimizeModelOptions,
  type OptimizeResult,
  optimizeModel,
  sha256Hex,
  type VariantFailure,
  type VariantResult,
} from "./variant";
