export const NATS_ERROR_CODES = [
  "CONNECT_FAILED",
  "OBJECT_NOT_FOUND",
  "SHA256_MISMATCH",
  "SERVER_NOT_FOUND",
] as const;
export type NatsErrorCode = (typeof NATS_ERROR_CODES)[number];

export class EdgewattNatsError extends Error {
  override readonly name = "EdgewattNatsError";
  constructor(
    readonly code: NatsErrorCode,
    message: string,
    options?: { cause?: unknown },
  ) {
    super(message, options);
  }
}
