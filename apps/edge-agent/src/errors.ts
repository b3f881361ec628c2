export const AGENT_ERROR_CODES = [
  "USAGE",
  "ENV_INVALID",
  "NOT_ENROLLED",
  "ALREADY_ENROLLED",
  "ALREADY_RUNNING",
  "IDENTITY_INVALID",
  "SERVER_UNREACHABLE",
  "NOT_A_PORTAL",
  "ENROLLMENT_REFUSED",
  "INPUT_INVALID",
  "UNKNOWN_PROFILE",
  "UNSUPPORTED_INPUT",
  "VARIANT_REJECTED",
  "CONFIG_INVALID",
  "METER_UNAVAILABLE",
] as const;
export type AgentErrorCode = (typeof AGENT_ERROR_CODES)[number];

/**
 * Every error the agent raises on purpose. The message says what was wrong and what to do; the CLI prints it as
 * one line and exits with code 2.
 */
export class AgentError extends Error {
  override readonly name = "AgentError";
  constructor(
    readonly code: AgentErrorCode,
    message: string,
    options?: { cause?: unknown },
  ) {
    super(message, options);
  }
}

export function errorMessage(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}
