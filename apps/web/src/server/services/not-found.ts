import { ServiceError } from "../errors";

/**
 * For `.catch()` after a db `get*` call: turns the db's NOT_FOUND into a ServiceError with a message
 * that tells the user what to do, and passes every other error through.
 */
export function rethrowNotFound(message: string): (err: unknown) => never {
  return (err: unknown) => {
    if (err instanceof Error && (err as { code?: unknown }).code === "NOT_FOUND") {
      throw new ServiceError("NOT_FOUND", message, { cause: err });
    }
    throw err;
  };
}
