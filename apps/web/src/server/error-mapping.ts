/**
 * The one place where errors become transport responses: service error codes → tRPC codes and HTTP
 * statuses, and errors from the packages (db, nats, engine) → service errors. Unexpected errors are
 * logged with their stack and reach the user only as a generic message.
 */
import { DbError } from "@edgewatt/db";
import { isEngineError } from "@edgewatt/engine";
import { EdgewattNatsError } from "@edgewatt/nats";
import { errors as natsErrors } from "@nats-io/transport-node";
import type { TRPC_ERROR_CODE_KEY } from "@trpc/server";
import { ServiceError, type ServiceErrorCode, type ServiceError as ServiceErrorType } from "./errors";

const HTTP_STATUS: Record<ServiceErrorCode, number> = {
  UNAUTHENTICATED: 401,
  FORBIDDEN: 403,
  NOT_FOUND: 404,
  BAD_REQUEST: 400,
  CONFLICT: 409,
  PAYLOAD_TOO_LARGE: 413,
  UNSUPPORTED_MEDIA_TYPE: 415,
  MODEL_INVALID: 422,
  INVALID_CREDENTIALS: 401,
  RATE_LIMITED: 429,
  TOKEN_UNKNOWN: 401,
  TOKEN_EXPIRED: 401,
  TOKEN_EXHAUSTED: 401,
  TOKEN_REVOKED: 401,
  UNAVAILABLE: 503,
  INTERNAL: 500,
};

const TRPC_CODE: Record<ServiceErrorCode, TRPC_ERROR_CODE_KEY> = {
  UNAUTHENTICATED: "UNAUTHORIZED",
  FORBIDDEN: "FORBIDDEN",
  NOT_FOUND: "NOT_FOUND",
  BAD_REQUEST: "BAD_REQUEST",
  CONFLICT: "CONFLICT",
  PAYLOAD_TOO_LARGE: "PAYLOAD_TOO_LARGE",
  UNSUPPORTED_MEDIA_TYPE: "UNSUPPORTED_MEDIA_TYPE",
  MODEL_INVALID: "UNPROCESSABLE_CONTENT",
  INVALID_CREDENTIALS: "UNAUTHORIZED",
  RATE_LIMITED: "TOO_MANY_REQUESTS",
  TOKEN_UNKNOWN: "UNAUTHORIZED",
  TOKEN_EXPIRED: "UNAUTHORIZED",
  TOKEN_EXHAUSTED: "UNAUTHORIZED",
  TOKEN_REVOKED: "UNAUTHORIZED",
  UNAVAILABLE: "SERVICE_UNAVAILABLE",
  INTERNAL: "INTERNAL_SERVER_ERROR",
};

export function httpStatusFor(code: ServiceErrorCode): number {
  return HTTP_STATUS[code];
}

export function trpcCodeFor(code: ServiceErrorCode): TRPC_ERROR_CODE_KEY {
  return TRPC_CODE[code];
}

const USER_FIXABLE_ENGINE_CODES = new Set([
  "ONNX_INVALID",
  "ONNX_UNSUPPORTED",
  "MODEL_INVALID",
  "OPSET_UNSUPPORTED",
]);

/**
 * Normalises anything a service threw into a ServiceError. Errors of the workspace packages carry
 * stable codes and messages already written for users (db: DbError, nats: EdgewattNatsError, engine:
 * EngineError).
 */
export function toServiceError(err: unknown): ServiceErrorType {
  if (err instanceof ServiceError) return err;
  if (err instanceof DbError) {
    if (err.code === "NOT_FOUND") return new ServiceError("NOT_FOUND", err.message, { cause: err });
    if (err.code === "CONFLICT") return new ServiceError("CONFLICT", err.message, { cause: err });
    if (err.code === "INVALID_INPUT") return new ServiceError("BAD_REQUEST", err.message, { cause: err });
  }
  if (err instanceof EdgewattNatsError) {
    if (err.code === "CONNECT_FAILED") return new ServiceError("UNAVAILABLE", err.message, { cause: err });
    if (err.code === "OBJECT_NOT_FOUND") return new ServiceError("NOT_FOUND", err.message, { cause: err });
    if (err.code === "ACCOUNT_UPDATE_FAILED")
      return new ServiceError("UNAVAILABLE", err.message, { cause: err });
    if (err.code === "INVALID_NKEY") return new ServiceError("BAD_REQUEST", err.message, { cause: err });
    if (err.code === "ROTATION_PROOF_INVALID") {
      return new ServiceError("UNAUTHENTICATED", err.message, { cause: err });
    }
  }
  if (isEngineError(err) && USER_FIXABLE_ENGINE_CODES.has(err.code)) {
    return new ServiceError("MODEL_INVALID", err.message, { cause: err });
  }
  if (isNatsUnavailable(err)) {
    return new ServiceError(
      "UNAVAILABLE",
      "The message broker (NATS) is not reachable right now; check that nats-server is running and try again.",
      { cause: err },
    );
  }
  if (isDatabaseUnavailable(err)) {
    return new ServiceError(
      "UNAVAILABLE",
      "The database is not reachable right now; check that Postgres is running and DATABASE_URL is right, then try again.",
      { cause: err },
    );
  }
  return new ServiceError(
    "INTERNAL",
    "Something went wrong on the server. The error was logged; try again, and if it keeps happening check the server logs.",
    { cause: err },
  );
}

function isDatabaseUnavailable(err: unknown): boolean {
  let cur: unknown = err;
  for (let depth = 0; depth < 5 && cur instanceof Error; depth++) {
    const code = (cur as { code?: unknown }).code;
    if (
      code === "ECONNREFUSED" ||
      code === "57P01" ||
      code === "57P03" ||
      code === "08006" ||
      code === "08001"
    ) {
      return true;
    }
    cur = cur.cause;
  }
  return false;
}

function isNatsUnavailable(err: unknown): boolean {
  // A closed or draining connection, no JetStream responder, or a request that timed out.
  return (
    err instanceof natsErrors.ClosedConnectionError ||
    err instanceof natsErrors.DrainingConnectionError ||
    err instanceof natsErrors.ConnectionError ||
    err instanceof natsErrors.NoRespondersError ||
    err instanceof natsErrors.TimeoutError ||
    (err instanceof natsErrors.RequestError && err.isNoResponders())
  );
}

/** Logs what the user will not see: the cause chain of internal and unavailable errors. */
export function logServiceError(where: string, err: ServiceErrorType): void {
  if (err.code === "INTERNAL" || err.code === "UNAVAILABLE") {
    console.error(
      JSON.stringify({
        ts: new Date().toISOString(),
        level: "error",
        component: "web",
        where,
        code: err.code,
        msg: err.message,
        cause: err.cause instanceof Error ? (err.cause.stack ?? err.cause.message) : String(err.cause),
      }),
    );
  }
}

/** JSON body for agent-facing and upload HTTP endpoints, in the protocol's ZApiError shape. */
export function httpErrorResponse(where: string, raw: unknown): Response {
  const err = toServiceError(raw);
  logServiceError(where, err);
  return Response.json(
    { error: { code: err.code, message: err.message } },
    { status: httpStatusFor(err.code) },
  );
}
