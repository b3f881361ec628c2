/** Shared set-up for the worker's integration suites: a fresh nats-server and database per suite. */
import { createOrgWithOwner, type Db } from "@edgewatt/db";
import { createTestDatabase, type TestDatabase } from "@edgewatt/db/testing";
import { connectNats, type Logger, type NatsConnection } from "@edgewatt/nats";
import { startNatsServer, type TestNatsServer } from "@edgewatt/nats/testing";
import { type RunningWorker, startWorker } from "../src";

export type LogLine = { level: "info" | "warn" | "error"; msg: string; fields: Record<string, unknown> };

/** Keeps log lines for assertions (and prints errors/warnings when WORKER_TEST_LOGS is set). */
export function captureLogger(): Logger & { lines: LogLine[] } {
  const lines: LogLine[] = [];
  const echo = Boolean(process.env.WORKER_TEST_LOGS);
  const at =
    (level: LogLine["level"]) =>
    (fields: Record<string, unknown>, msg: string): void => {
      lines.push({ level, msg, fields });
      if (echo) console.log(JSON.stringify({ level, msg, ...fields }));
    };
  return { lines, info: at("info"), warn: at("warn"), error: at("error") };
}

export interface Harness {
  nats: TestNatsServer;
  nc: NatsConnection;
  tdb: TestDatabase;
  db: Db;
  log: ReturnType<typeof captureLogger>;
  worker: RunningWorker;
  /** Stops the running worker and starts a new one (e.g. on another db handle). */
  restartWorker(db?: Db): Promise<RunningWorker>;
  close(): Promise<void>;
}

export async function startHarness(): Promise<Harness> {
  const nats = await startNatsServer();
  const tdb = await createTestDatabase();
  const nc = await connectNats({ servers: nats.url, name: "worker-test" });
  const log = captureLogger();
  const start = (db: Db) => startWorker({ db, nc, log, retryDelayMs: 200 });
  const h: Harness = {
    nats,
    nc,
    tdb,
    db: tdb.db,
    log,
    worker: await start(tdb.db),
    async restartWorker(db = tdb.db) {
      await h.worker.stop();
      h.worker = await start(db);
      return h.worker;
    },
    async close() {
      await h.worker.stop();
      await nc.close();
      await nats.stop();
      await tdb.drop();
    },
  };
  return h;
}

/** Polls `fn` until it returns something other than undefined/null/false. */
export async function waitFor<T>(
  what: string,
  fn: () => Promise<T | null | undefined | false> | T | null | undefined | false,
  timeoutMs = 45_000,
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let last: unknown;
  for (;;) {
    try {
      const v = await fn();
      if (v !== undefined && v !== null && v !== false) return v;
    } catch (err) {
      last = err;
    }
    if (Date.now() > deadline) {
      throw new Error(
        `timed out waiting for ${what}${last ? ` (last error: ${(last as Error).message})` : ""}`,
      );
    }
    await new Promise((r) => setTimeout(r, 100));
  }
}

let orgCounter = 0;
export async function seedOrg(db: Db): Promise<string> {
  orgCounter++;
  const { org } = await createOrgWithOwner(db, {
    name: `Worker Test ${orgCounter}`,
    email: `owner${orgCounter}-${Date.now()}@example.test`,
    passwordHash: null,
    userName: "Owner",
  });
  return org.id;
}
