/**
 * The only place @edgewatt/db reads environment variables. Read lazily (per call) so that a process
 * (or a test) that sets a variable before calling in gets what it set.
 *
 * - DATABASE_URL       postgres://… of the control-plane database. Unset: use embedded PGlite.
 * - EDGEWATT_HOME      state directory for one-machine mode (default `<repo root>/.edgewatt`);
 *                      PGlite data lives in `$EDGEWATT_HOME/pglite`.
 * - TEST_DATABASE_URL  server that `createTestDatabase()` creates throwaway databases on
 *                      (default postgres://postgres@127.0.0.1:5432/postgres).
 */
import { existsSync } from "node:fs";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { ConfigError } from "./errors";

export type DbEnv = {
  databaseUrl: string | null;
  edgewattHome: string;
  testDatabaseUrl: string;
};

export const DEFAULT_TEST_DATABASE_URL = "postgres://postgres@127.0.0.1:5432/postgres";

export function readDbEnv(vars: NodeJS.ProcessEnv = process.env): DbEnv {
  const databaseUrl = nonEmpty(vars.DATABASE_URL);
  const testDatabaseUrl = nonEmpty(vars.TEST_DATABASE_URL) ?? DEFAULT_TEST_DATABASE_URL;
  if (databaseUrl !== null) assertPostgresUrl("DATABASE_URL", databaseUrl);
  assertPostgresUrl("TEST_DATABASE_URL", testDatabaseUrl);
  const home = nonEmpty(vars.EDGEWATT_HOME);
  return {
    databaseUrl,
    edgewattHome: home !== null ? resolve(home) : join(findRepoRoot(), ".edgewatt"),
    testDatabaseUrl,
  };
}

/** Where `pnpm db:migrate` and the one-machine stack keep the embedded database. */
export function defaultPgliteDataDir(env: DbEnv = readDbEnv()): string {
  return join(env.edgewattHome, "pglite");
}

/**
 * The workspace root: the nearest directory at or above `from` holding pnpm-workspace.yaml. Starts at
 * this module's own directory so the answer does not depend on the caller's working directory.
 */
export function findRepoRoot(from: string = dirname(fileURLToPath(import.meta.url))): string {
  let dir = resolve(from);
  for (;;) {
    if (existsSync(join(dir, "pnpm-workspace.yaml"))) return dir;
    const parent = dirname(dir);
    if (parent === dir) {
      throw new ConfigError(
        `no pnpm-workspace.yaml found above ${from}; set EDGEWATT_HOME to choose where local state lives`,
      );
    }
    dir = parent;
  }
}

function nonEmpty(value: string | undefined): string | null {
  const v = value?.trim();
  return v ? v : null;
}

function assertPostgresUrl(name: string, value: string): void {
  let url: URL;
  try {
    url = new URL(value);
  } catch (cause) {
    throw new ConfigError(`${name} is not a URL; expected postgres://user@host:port/database`, { cause });
  }
  if (url.protocol !== "postgres:" && url.protocol !== "postgresql:") {
    throw new ConfigError(`${name} must start with postgres:// or postgresql://, got ${url.protocol}//…`);
  }
}
