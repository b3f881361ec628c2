/**
 * Engine errors. Every error the engine throws on purpose is an `EngineError` with a stable `code`
 * that callers (worker, web, CLI) map to their own responses; the message says what was wrong and
 * what to do about it. Subclasses narrow `code` to the codes they can carry.
 */
export const ENGINE_ERROR_CODES = [
  "ONNX_INVALID",
  "ONNX_UNSUPPORTED",
  "ONNX_EXTERNAL_DATA",
  "MODEL_INVALID",
  "OPSET_UNSUPPORTED",
  "PASS_UNKNOWN",
  "PASS_NOT_APPLICABLE",
  "PASS_FAILED",
  "PASS_NEEDS_DATA",
  "PASS_OPTIONS_INVALID",
  "NPY_INVALID",
  "NPY_UNSUPPORTED",
  "DATA_MISMATCH",
  "RUNTIME_FAILED",
  "ENERGY_INPUT_INVALID",
  "POWER_PROFILE_UNKNOWN",
] as const;
export type EngineErrorCode = (typeof ENGINE_ERROR_CODES)[number];

export class EngineError<C extends EngineErrorCode = EngineErrorCode> extends Error {
  override readonly name: string = "EngineError";
  constructor(
    readonly code: C,
    message: string,
    options?: { cause?: unknown },
  ) {
    super(message, options);
  }
}

/**
 * The bytes are not a loadable ONNX model, or use a feature the engine does not read (ONNX_EXTERNAL_DATA:
 * weights kept in files beside the model instead of inside it).
 */
export class OnnxFormatError extends EngineError<"ONNX_INVALID" | "ONNX_UNSUPPORTED" | "ONNX_EXTERNAL_DATA"> {
  override readonly name = "OnnxFormatError";
}

/** The model parses but its graph is not well formed (dangling inputs, cycles, duplicate outputs). */
export class ModelValidationError extends EngineError<"MODEL_INVALID"> {
  override readonly name = "ModelValidationError";
}

/**
 * A pass is unknown, does not apply to the model, cannot handle its opset, needs data the caller did not
 * supply (PASS_NEEDS_DATA, e.g. calibration data), was given invalid options (PASS_OPTIONS_INVALID), or
 * failed while rewriting it.
 */
export class PassError extends EngineError<
  | "PASS_UNKNOWN"
  | "PASS_NOT_APPLICABLE"
  | "PASS_FAILED"
  | "PASS_NEEDS_DATA"
  | "PASS_OPTIONS_INVALID"
  | "OPSET_UNSUPPORTED"
> {
  override readonly name = "PassError";
}

/** A .npy/.npz file is malformed or uses a layout/dtype the engine does not read. */
export class NpyFormatError extends EngineError<"NPY_INVALID" | "NPY_UNSUPPORTED"> {
  override readonly name = "NpyFormatError";
}

/** Evaluation data does not fit the model, or the runtime failed while running it. */
export class EvaluationError extends EngineError<"DATA_MISMATCH" | "RUNTIME_FAILED"> {
  override readonly name = "EvaluationError";
}

/** Bad arguments to the energy model. */
export class EnergyModelError extends EngineError<"ENERGY_INPUT_INVALID" | "POWER_PROFILE_UNKNOWN"> {
  override readonly name = "EnergyModelError";
}

export function isEngineError(error: unknown): error is EngineError {
  return error instanceof EngineError;
}
