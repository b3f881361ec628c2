export const PROTOCOL_ERROR_CODES = [
  "INVALID_SUBJECT_TOKEN",
  "MALFORMED_JSON",
  "UNSUPPORTED_VERSION",
  "SCHEMA_MISMATCH",
  "WRONG_MESSAGE_TYPE",
] as const;
export type ProtocolErrorCode = (typeof PROTOCOL_ERROR_CODES)[number];

export class ProtocolError extends Error {
  override readonly name = "ProtocolError";
  constructor(
    readonly code: ProtocolErrorCode,
    message: string,
    options?: { cause?: unknown },
  ) {
    super(message, options);
  }
}
