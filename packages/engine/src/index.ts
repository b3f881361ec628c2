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
  agreement,
  argmaxLastAxis,
  cosineSimilarity,
  maxAbsError,
  meanAbsError,
  quantile,
} from "./eval/metrics";
export { parseModel, serializeModel } from "./onnx/codec";
export { inspectModel, type ModelSummary } from "./onnx/inspect";
export type { OnnxModel } from "./onnx/model";
export { assertValidModel, type ModelIssue, validateModel } from "./onnx/validate";
export {
  createQuantizeDynamicInt8Pass,
  QUANTIZABLE_OPS,
  type QuantizableOp,
  type QuantizeDynamicInt8Options,
  quantizeDynamicInt8Pass,
} from "./passes/quantize-dynamic-int8";
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
  type OptimizeEvaluation,
  type OptimizeModelOptions,
  type OptimizeResult,
  optimizeModel,
  sha256Hex,
  type VariantFailure,
  type VariantResult,
} from "./variant";
