/**
 * One-machine mode: PGlite on a data dir, migrated, and served over the Postgres wire protocol so that
 * web and worker connect with plain `pg` (`createDb(url)`) exactly as they would to Postgres.
 *
 * PGlite is a single Postgres session. The socket server multiplexes client connections onto it one
 * protocol message at a time; `pinSessionUntilReady` keeps one connection's messages together until its
 * request is complete and, for a transaction, until it ends. Consequences for callers:
 * - Transactions serialize everything: while one is open, every other connection waits. Keep them
 *   short, and inside `db.transaction(tx => …)` use only `tx`: a query on another pooled connection
 *   would wait for the transaction that waits for it, forever.
 * - Session state (SET, temp tables, LISTEN) is shared by all connections. Don't rely on it.
 */

import { mkdir } from "node:fs/promises";
import type { PGlite } from "@electric-sql/pglite";
import { lockDataDir } from "./internal/data-dir-lock";
import { pinSessionUntilReady } from "./internal/pglite-session";
import { migratePglite } from "./migrate";

export type StartEmbeddedPostgresOptions = {
  /** Created if missing; locked (`<dataDir>.lock`) while the server runs. */
  dataDir: string;
  /** TCP port; 0 (default) picks a free one, see `port` in the result. */
  port?: number;
  /** Interface to bind (default 127.0.0.1; the server has no authentication, keep it local). */
  host?: string;
  /** Concurrent client connections accepted (default 50; pglite-socket's own default is 1). */
  maxConnections?: number;
};

export type EmbeddedPostgres = {
  /** `postgres://postgres@<host>:<port>/postgres`, for `createDb` / DATABASE_URL. */
  url: string;
  host: string;
  port: number;
  dataDir: string;
  /** Closes client connections, stops listening and closes PGlite (flushing it to disk). */
  stop(): Promise<void>;
};

export async function startEmbeddedPostgres(
  options: StartEmbeddedPostgresOptions,
): Promise<EmbeddedPostgres> {
  const host = options.host ?? "127.0.0.1";
  const [{ PGlite }, { PGLiteSocketServer }] = await Promise.all([
    import("@electric-sql/pglite"),
    import("@electric-sql/pglite-socket"),
  ]);
  const lock = lockDataDir(options.dataDir);
  let pglite: PGlite | null = null;
  let server: InstanceType<typeof PGLiteSocketServer> | null = null;
  try {
    await mkdir(options.dataDir, { recursive: true });
    pglite = await PGlite.create(options.dataDir);
    await migratePglite(pglite);
    server = new PGLiteSocketServer({
      db: pinSessionUntilReady(pglite),
      host,
      port: options.port ?? 0,
      maxConnections: options.maxConnections ?? 50,
    });
    await server.start();
  } catch (err) {
    await server?.stop().catch(() => {});
    await pglite?.close().catch(() => {});
    lock.release();
    throw err;
  }
  // After start() the server reports the bound port (useful when 0 was asked for).
  const port = Number(server.getServerConn().split(":").pop());
  const urlHost = host.includes(":") ? `[${host}]` : host;
  const running = server;
  const db = pglite;
  let stopped: Promise<void> | null = null;
  return {
    url: `postgres://postgres@${urlHost}:${port}/postgres`,
    host,
    port,
    dataDir: options.dataDir,
    stop: () => {
      stopped ??= (async () => {
        try {
          await running.stop();
          await db.close();
        } finally {
          lock.release();
        }
      })();
      return stopped;
    },
  };
}
