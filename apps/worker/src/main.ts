/**
 * `pnpm --filter @edgewatt/worker start`: the long-running job backend. Connects to Postgres and NATS,
 * runs the consumers, logs one JSON line per event, and shuts down gracefully on SIGINT/SIGTERM.
 */
import { createDb } from "@edgewatt/db";
import { connectNats } from "@edgewatt/nats";
import { loadEnv } from "./env";
import { createWorkerLogger, errorMessage } from "./log";
import { startWorker } from "./worker";

/** How long in-flight work may take to finish after a signal before the process exits anyway. */
const SHUTDOWN_GRACE_MS = 30_000;

async function main(): Promise<void> {
  const env = loadEnv();
  const log = createWorkerLogger(env.LOG_LEVEL, { pid: process.pid });

  // A stray rejection is a bug to log, not a reason to drop every in-flight message.
  process.on("unhandledRejection", (reason) =>
    log.error({ err: errorMessage(reason) }, "unhandled rejection"),
  );

  const database = createDb(env.DATABASE_URL, {
    applicationName: "edgewatt-worker",
    onIdleError: (err) => log.warn({ err: err.message }, "idle database connection error"),
  });
  const nc = await connectNats({ servers: env.NATS_URL, name: "edgewatt-worker", reconnectForever: true });
  log.info({ nats: nc.getServer(), concurrency: env.WORKER_CONCURRENCY }, "connected to NATS");
  (async () => {
    for await (const s of nc.status()) {
      if (s.type === "disconnect" || s.type === "reconnect" || s.type === "error") {
        log.warn({ nats: s.type, server: "server" in s ? s.server : undefined }, `NATS ${s.type}`);
      }
    }
  })().catch(() => undefined);

  const worker = await startWorker({ db: database.db, nc, log, concurrency: env.WORKER_CONCURRENCY });

  let shuttingDown = false;
  const shutdown = async (signal: string) => {
    if (shuttingDown) return;
    shuttingDown = true;
    log.info({ signal }, "shutting down: finishing in-flight messages");
    const timer = setTimeout(() => {
      log.error(
        { graceMs: SHUTDOWN_GRACE_MS },
        "in-flight work did not finish in time; exiting (it will be redelivered)",
      );
      process.exit(1);
    }, SHUTDOWN_GRACE_MS);
    timer.unref();
    try {
      await worker.stop();
      await nc.drain();
      await database.close();
      log.info({ stats: JSON.parse(JSON.stringify(worker.stats)) }, "worker stopped");
      process.exit(0);
    } catch (err) {
      log.error({ err: errorMessage(err) }, "error during shutdown");
      process.exit(1);
    }
  };
  process.on("SIGINT", () => void shutdown("SIGINT"));
  process.on("SIGTERM", () => void shutdown("SIGTERM"));

  // If NATS closes for good (not during shutdown), exit non-zero so the supervisor restarts us.
  const closed = await nc.closed();
  if (!shuttingDown) {
    log.error(
      { err: closed ? errorMessage(closed) : "connection closed" },
      "NATS connection closed; exiting",
    );
    await worker.stop().catch(() => undefined);
    await database.close().catch(() => undefined);
    process.exit(1);
  }
}

main().catch((err: unknown) => {
  process.stderr.write(
    `${JSON.stringify({ ts: new Date().toISOString(), level: "error", component: "worker", msg: `worker failed to start: ${errorMessage(err)}` })}\n`,
  );
  process.exit(1);
});
