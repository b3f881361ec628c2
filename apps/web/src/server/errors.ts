/**
 * Errors thrown by the web's services. Each carries a stable `code`; `error-mapping.ts` turns codes into
 * tRPC and HTTP codes in one place. The message is written for the person who will read it: what was
 * wrong and what to do next. Stack traces and causes go to the logs only.
 */

export const SERVICE_ERROR_CODES = [
  "UNAUTHENTICATED",
  "FORBIDDEN",
  "NOT_FOUND",
  "BAD_REQUEST",
  "CONFLICT",
  "PAYLOAD_TOO_LARGE",
  "UNSUPPORTED_MEDIA_TYPE",
  "MODEL_INVALID",
  "INVALID_CREDENTIALS",
  "RATE_LIMITED",
  "TOKEN_UNKNOWN",
  "TOKEN_EXPIRED",
  "TOKEN_EXHAUSTED",
  "TOKEN_REVOKED",
  "UNAVAILABLE",
  "INTERNAL",
] as const;
export type ServiceErrorCode = (typeof SERVICE_ERROR_CODES)[number];

export class ServiceError extends Error {
  override readonly name = "ServiceError";
  constructor(
    readonly code: ServiceErrorCode,
    message: string,
    options?: { cause?: unknown },
  ) {
    super(message, options);
  }
}

export function isServiceError(err: unknown): err is ServiceError {
  return err instanceof ServiceError;
}
