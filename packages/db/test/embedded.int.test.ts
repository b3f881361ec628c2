import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import pg from "pg";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  countSamples,
  createDb,
  createPgliteDb,
  DataDirLockedError,
  type EmbeddedPostgres,
  findModelsByOrg,
  insertTelemetryBatch,
  migratePglite,
  startEmbeddedPostgres,
} from "../src/index";
import { batch, makeModel, makeOrg, sample } from "./fixtures";

describe("PGlite", () => {
  let dir: string;
  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), "ew-pglite-"));
  });
  afterAll(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it("migrates a data dir with the same migrations, idempotently", async () => {
    const dataDir = join(dir, "migrate");
    await migratePglite(dataDir);
    await migratePglite(dataDir);
    const handle = await createPgliteDb(dataDir);
    try {
      const { org } = await makeOrg(handle.db);
      await makeModel(handle.db, org.id);
      expect(await findModelsByOrg(handle.db, org.id)).toHaveLength(1);
      expect(await handle.db.query.orgs.findFirst({ with: { models: true } })).toMatchObject({
        models: [expect.objectContaining({ name: "classifier" })],
      });
    } finally {
      await handle.close();
    }
  });
});

describe("embedded Postgres server", () => {
  let dir: string;
  let server: EmbeddedPostgres;
  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), "ew-embedded-"));
    server = await startEmbeddedPostgres({ dataDir: join(dir, "pglite"), port: 0 });
  });
  afterAll(async () => {
    await server?.stop();
    await rm(dir, { recursive: true, force: true });
  });

  it("serves plain pg clients on the port it reports", () => {
    expect(server.port).toBeGreaterThan(0);
    expect(server.url).toBe(`postgres://postgres@127.0.0.1:${server.port}/postgres`);
  });

  it("answers concurrent queries from two pools correctly", async () => {
    const web = new pg.Pool({ connectionString: server.url, max: 5 });
    const worker = new pg.Pool({ connectionString: server.url, max: 5 });
    try {
      // Large parameters arrive in several TCP chunks: the case where requests could interleave.
      const big = "x".repeat(200_000);
      const results = await Promise.all(
        Array.from({ length: 120 }, async (_, i) => {
          const pool = i % 2 === 0 ? web : worker;
          if (i % 10 === 0) {
            const r = await pool.query<{ n: number; i: number }>(
              "select length($1::text) as n, $2::int as i",
              [big, i],
            );
            return r.rows[0]?.n === big.length && r.rows[0]?.i === i;
          }
          const r = await pool.query<{ i: number; s: string }>("select $1::int as i, $2::text as s", [
            i,
            `s${i}`,
          ]);
          return r.rows[0]?.i === i && r.rows[0]?.s === `s${i}`;
        }),
      );
      expect(results.every(Boolean)).toBe(true);
    } finally {
      await Promise.all([web.end(), worker.end()]);
    }
  });

  it("runs drizzle queries and transactions through it", async () => {
    const a = createDb(server.url, { max: 4 });
    const b = createDb(server.url, { max: 4 });
    try {
      const { org } = await makeOrg(a.db); // a transaction
      await makeModel(a.db, org.id);
      const samples = Array.from({ length: 500 }, (_, i) => sample(i));
      const [listed, ...inserted] = await Promise.all([
        findModelsByOrg(b.db, org.id),
        insertTelemetryBatch(a.db, batch(org.id, "dev_e", samples)),
        insertTelemetryBatch(b.db, batch(org.id, "dev_e", samples)),
        makeOrg(b.db, "Concurrent"),
      ]);
      expect(listed).toHaveLength(1);
      const counts = inserted.slice(0, 2) as { inserted: number }[];
      expect(counts.reduce((s, r) => s + r.inserted, 0)).toBe(500);
      expect(await countSamples(b.db, { orgId: org.id, deviceId: "dev_e" })).toBe(500);
    } finally {
      await Promise.all([a.close(), b.close()]);
    }
  });

  it("refuses a second open of the data dir while the server holds it", async () => {
    await expect(migratePglite(join(dir, "pglite"))).rejects.toBeInstanceOf(DataDirLockedError);
    await expect(createPgliteDb(join(dir, "pglite"))).rejects.toMatchObject({ code: "DATA_DIR_LOCKED" });
  });

  it("keeps data across a restart on the same data dir", async () => {
    const before = createDb(server.url, { max: 1 });
    const { org } = await makeOrg(before.db, "Persistent");
    await before.close();
    await server.stop();
    server = await startEmbeddedPostgres({ dataDir: join(dir, "pglite"), port: 0 });
    const after = createDb(server.url, { max: 1 });
    try {
      expect(await after.db.query.orgs.findFirst({ where: (o, { eq }) => eq(o.id, org.id) })).toMatchObject({
        name: "Persistent",
      });
    } finally {
      await after.close();
    }
  });
});
