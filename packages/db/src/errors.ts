/**
 * Errors thrown by @edgewatt/db. Every class extends DbError and carries a stable `code` that the web
 * maps to tRPC/HTTP codes in one place; the message says what was wrong, the `cause` keeps the driver
 * error for logs.
 */

export const DB_ERROR_CODES = [
  "NOT_FOUND",
  "CONFLICT",
  "INVALID_INPUT",
  "MIGRATION_FAILED",
  "CONFIG_INVALID",
  "DATA_DIR_LOCKED",
  "SECRET_UNREADABLE",
] as const;
export type DbErrorCode = (typeof DB_ERROR_CODES)[number];

export class DbError extends Error {
  override readonly name: string = "DbError";
  readonly code: DbErrorCode;

  constructor(code: DbErrorCode, message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.code = code;
  }
}

/** A row that a `get*` function looked for does not exist (or belongs to another org). */
export class NotFoundError extends DbError {
  override readonly name = "NotFoundError";
  readonly entity: string;
  readonly id: string;

  constructor(entity: string, id: string, options?: { cause?: unknown }) {
    super("NOT_FOUND", `${entity} ${id} was not found`, options);
    this.entity = entity;
    this.id = id;
  }
}

/** A unique constraint (or another integrity rule) refused the write. */
export class ConflictError extends DbError {
  override readonly name = "ConflictError";
  /** The constraint or index that refused the write, e.g. `users_email_uq`, when known. */
  readonly constraint: string | null;

  constructor(message: string, constraint: string | null, options?: { cause?: unknown }) {
    super("CONFLICT", message, options);
    this.constraint = constraint;
  }
}

/** Arguments that no row could satisfy, caught before touching the database. */
export class InvalidInputError extends DbError {
  override readonly name = "InvalidInputError";

  constructor(message: string, options?: { cause?: unknown }) {
    super("INVALID_INPUT", message, options);
  }
}

export class MigrationError extends DbError {
  override readonly name = "MigrationError";

  constructor(message: string, options?: { cause?: unknown }) {
    super("MIGRATION_FAILED", message, options);
  }
}

/** An environment variable is present but unusable. */
export class ConfigError extends DbError {
  override readonly name = "ConfigError";

  constructor(message: string, options?: { cause?: unknown }) {
    super("CONFIG_INVALID", message, options);
  }
}

/** A PGlite data dir is already open in a live process; PGlite itself would not stop a second open. */
export class DataDirLockedError extends DbError {
  override readonly name = "DataDirLockedError";
  readonly pid: number;

  constructor(dataDir: string, pid: number) {
    super(
      "DATA_DIR_LOCKED",
      `the PGlite data dir ${dataDir} is in use by process ${pid}; stop it (e.g. the one-machine stack) first, or connect to its server instead`,
    );
    this.pid = pid;
  }
}

type PgErrorFields = { code: string; constraint?: string; detail?: string };

/**
 * The Postgres error (SQLSTATE `code`, `constraint`) behind an error, if any. Drizzle wraps driver
 * errors in DrizzleQueryError, so this walks the `cause` chain.
 */
export function findPgError(err: unknown): PgErrorFields | null {
  let cur: unknown = err;
  for (let depth = 0; depth < 5 && cur instanceof Error; depth++) {
    const fields = cur as Error & Partial<PgErrorFields>;
    if (typeof fields.code === "string" && /^[0-9A-Z]{5}$/.test(fields.code)) {
      return { code: fields.code, constraint: fields.constraint, detail: fields.detail };
    }
    cur = cur.cause;
  }
  return null;
}

/** SQLSTATE 23505. */
export function isUniqueViolation(err: unknown, constraint?: string): boolean {
  const pg = findPgError(err);
  return pg?.code === "23505" && (constraint === undefined || pg.constraint === constraint);
}

/** A sealed secret column could not be opened: wrong EDGEWATT_SECRET_KEY, or the value was altered. */
export class SecretUnreadableError extends DbError {
  override readonly name = "SecretUnreadableError";

  constructor(message: string, options?: { cause?: unknown }) {
    super("SECRET_UNREADABLE", message, options);
  }
}
