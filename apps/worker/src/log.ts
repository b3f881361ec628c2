/** Structured JSON log lines (via @edgewatt/nats' logger) with a minimum level. */
import { createLogger, type Logger } from "@edgewatt/nats";
import type { LogLevel } from "./env";

export type { Logger };

const RANK: Record<LogLevel, number> = { debug: 10, info: 20, warn: 30, error: 40 };

export function createWorkerLogger(level: LogLevel, extra: Record<string, unknown> = {}): Logger {
  const base = createLogger("worker", extra);
  const min = RANK[level];
  return {
    info: (obj, msg) => (min <= RANK.info ? base.info(obj, msg) : undefined),
    warn: (obj, msg) => (min <= RANK.warn ? base.warn(obj, msg) : undefined),
    error: (obj, msg) => base.error(obj, msg),
  };
}

/** Prefixes every line with a field (e.g. the consumer it came from). */
export function childLogger(log: Logger, fields: Record<string, unknown>): Logger {
  return {
    info: (obj, msg) => log.info({ ...fields, ...obj }, msg),
    warn: (obj, msg) => log.warn({ ...fields, ...obj }, msg),
    error: (obj, msg) => log.error({ ...fields, ...obj }, msg),
  };
}

export function errorMessage(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}
