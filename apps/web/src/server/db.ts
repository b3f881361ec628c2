/**
 * The portal's database handle: one pool per server process, created on first use and kept on
 * globalThis so that `next dev` hot reloads reuse it instead of leaking pools.
 */
import { createDb, type Db, type DbHandle } from "@edgewatt/db";
import { serverEnv } from "../env";

const globalForDb = globalThis as typeof globalThis & { __edgewattWebDb?: DbHandle };

export function getDb(): Db {
  globalForDb.__edgewattWebDb ??= createDb(serverEnv().databaseUrl, { applicationName: "edgewatt-web" });
  return globalForDb.__edgewattWebDb.db;
}
