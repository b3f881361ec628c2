export const WORKER_ERROR_CODES = [
  "JOB_NOT_FOUND",
  "JOB_MISMATCH",
  "MODEL_NOT_FOUND",
  "MODEL_OBJECT_MISSING",
  "SHA256_MISMATCH",
  "MODEL_TOO_LARGE",
  "OPTIMIZE_FAILED",
  "IDENTITY_MISMATCH",
] as const;
export type WorkerErrorCode = (typeof WORKER_ERROR_CODES)[number];

/**
 * A failure the worker understands. A `permanent` error ends a job as failed (retrying cannot help);
 * anything else thrown by a handler is treated as transient and the message is redelivered.
 */
export class WorkerError extends Error {
  override readonly name = "WorkerError";
  constructor(
    readonly code: WorkerErrorCode,
    message: string,
    options?: { cause?: unknown },
  ) {
    super(message, options);
  }
}
