export const NATS_ERROR_CODES = [
  "CONNECT_FAILED",
  "OBJECT_NOT_FOUND",
  "SHA256_MISMATCH",
  "SERVER_NOT_FOUND",
  "INVALID_NKEY",
  "INVALID_JWT",
  "INVALID_CREDENTIALS_FILE",
  "ACCOUNT_UPDATE_FAILED",
  "ROTATION_PROOF_INVALID",
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
