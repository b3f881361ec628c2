/**
 * Database handles. Services take a `Db` and never care which driver is behind it: node-postgres
 * against a Postgres server (also the embedded PGlite served over the wire), or PGlite in-process.
 */
import type { PGlite } from "@electric-sql/pglite";
import type { ExtractTablesWithRelations } from "drizzle-orm";
import { drizzle } from "drizzle-orm/node-postgres";
import type { PgDatabase, PgQueryResultHKT, PgTransaction } from "drizzle-orm/pg-core";
import pg from "pg";
import { type DataDirLock, lockDataDir } from "./internal/data-dir-lock";
import * as schema from "./schema";

export type Schema = typeof schema;

/**
 * What `db.execute(sql…)` resolves to on either driver: both node-postgres's QueryResult and PGlite's
 * Results carry `rows` (other fields differ, so they are not part of the common type).
 */
export interface DbQueryResultHKT extends PgQueryResultHKT {
  readonly type: DbQueryResult<this["row"]>;
}
export type DbQueryResult<TRow> = { rows: TRow[] };

/** A drizzle database (or transaction) over either driver, with `db.query.*` for every table. */
export type Db = PgDatabase<DbQueryResultHKT, Schema>;

/** What `db.transaction(async (tx) => …)` hands its callback; also a `Db`. */
export type Tx = PgTransaction<DbQueryResultHKT, Schema, ExtractTablesWithRelations<Schema>>;

export type DbHandle = {
  db: Db;
  /** Ends the pool (or closes PGlite). Idempotent. */
  close(): Promise<void>;
};

export type CreateDbOptions = {
  /** Pool size (default 10). */
  max?: number;
  /** Shown in pg_stat_activity, e.g. `edgewatt-worker`. */
  applicationName?: string;
  /** Errors of idle pooled connections (server restart, network). Default: a console warning. */
  onIdleError?: (err: Error) => void;
};

/** A node-postgres pool plus drizzle, for `postgres://…` URLs (Postgres or the embedded server). */
export function createDb(url: string, options: CreateDbOptions = {}): DbHandle {
  const pool = new pg.Pool({
    connectionString: url,
    max: options.max ?? 10,
    application_name: options.applicationName ?? "edgewatt",
  });
  // Without a listener an idle connection's error (e.g. the server restarting) kills the process.
  pool.on(
    "error",
    options.onIdleError ?? ((err) => console.warn(`[db] idle connection error: ${err.message}`)),
  );
  const db: Db = drizzle({ client: pool, schema });
  let closed: Promise<void> | null = null;
  return {
    db,
    close: () => {
      closed ??= pool.end();
      return closed;
    },
  };
}

export type PgliteHandle = DbHandle & { client: PGlite };

/**
 * PGlite in this process, on `dataDir` (created if missing) or in memory when omitted. A data dir can
 * be open once at a time (DataDirLockedError otherwise); to share it, serve it with
 * `startEmbeddedPostgres`.
 */
export async function createPgliteDb(dataDir?: string): Promise<PgliteHandle> {
  // Loaded on demand so that importing @edgewatt/db does not load the PGlite WASM build.
  const [{ PGlite }, { drizzle: drizzlePglite }, { mkdir }] = await Promise.all([
    import("@electric-sql/pglite"),
    import("drizzle-orm/pglite"),
    import("node:fs/promises"),
  ]);
  let lock: DataDirLock | null = null;
  let client: PGlite;
  if (dataDir !== undefined) {
    lock = lockDataDir(dataDir);
    try {
      await mkdir(dataDir, { recursive: true });
      client = await PGlite.create(dataDir);
    } catch (err) {
      lock.release();
      throw err;
    }
  } else {
    client = await PGlite.create();
  }
  const db: Db = drizzlePglite({ client, schema });
  let closed: Promise<void> | null = null;
  return {
    db,
    client,
    close: () => {
      closed ??= (async () => {
        try {
          if (!client.closed) await client.close();
        } finally {
          lock?.release();
        }
      })();
      return closed;
    },
  };
}
