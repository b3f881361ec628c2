/**
 * Interfaces the engine's callers implement or consume: the inference Runtime (supplied by the
 * app, e.g. over onnxruntime-node, so the engine never loads a native runtime itself) and Passes.
 */
import type { EvaluationSet } from "./eval/dataset";
import type { OnnxModel } from "./onnx/model";

export type RuntimeTensorData =
  | Float32Array
  | Float64Array
  | Int8Array
  | Uint8Array
  | Int16Array
  | Uint16Array
  | Int32Array
  | Uint32Array
  | BigInt64Array
  | BigUint64Array;

/** A dense tensor crossing the runtime boundary. `type` uses the engine's names: 'float32', 'int64', 'bool', … */
export interface RuntimeTensor {
  type: string;
  dims: readonly number[];
  data: RuntimeTensorData;
}

export interface RuntimeSessionOptions {
  /** Intra-op thread count; the runtime's default when absent. */
  intraOpThreads?: number;
}

export interface RuntimeSession {
  readonly inputNames: readonly string[];
  readonly outputNames: readonly string[];
  run(feeds: Readonly<Record<string, RuntimeTensor>>): Promise<Record<string, RuntimeTensor>>;
  release(): Promise<void>;
}

export interface Runtime {
  /** e.g. 'onnxruntime-node 1.30.0'; recorded in reports next to measurements. */
  readonly name: string;
  createSession(bytes: Uint8Array, options?: RuntimeSessionOptions): Promise<RuntimeSession>;
}

export interface PassContext {
  /** Progress/diagnostic lines from the pass (what it changed, what it skipped and why). */
  log(message: string): void;
  /** Present when the caller can run models; passes that calibrate or verify need it. */
  runtime?: Runtime;
  /**
   * Data the caller has for the model's inputs: `calibration` for passes that measure activation ranges
   * (static quantization), `evaluation` for passes that check their own accuracy.
   */
  data?: { calibration?: EvaluationSet; evaluation?: EvaluationSet };
}

/**
 * A model-to-model rewrite. `run` must not mutate its input (clone first) and throws a `PassError`
 * when it cannot apply (PASS_NOT_APPLICABLE) rather than returning the model unchanged.
 */
export interface Pass {
  readonly name: string;
  readonly description: string;
  /** Name of the variant this pass produces when it is the last pass of a recipe, e.g. 'int8-dynamic'. */
  readonly variantName: string;
  run(model: OnnxModel, context: PassContext): Promise<OnnxModel> | OnnxModel;
}

export type PassStatus = "started" | "done" | "failed";

export interface ProgressEvent {
  /** Variant the event belongs to. */
  variant: string;
  pass: string;
  status: PassStatus;
  message?: string;
  /** Variants the call builds in all (baseline excluded), so callers can show overall progress. */
  plannedVariants?: number;
}
