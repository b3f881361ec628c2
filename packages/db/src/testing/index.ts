/**
 * Throwaway databases for integration tests: each call creates a fresh, migrated database on the test
 * server, so a suite never sees another suite's rows or a previous run's leftovers.
 */
import { randomBytes } from "node:crypto";
import pg from "pg";
import { createDb, type Db } from "../client";
import { readDbEnv } from "../env";
import { migrateDatabase } from "../migrate";

export type TestDatabase = {
  /** URL of the new database, for code under test that opens its own pool. */
  url: string;
  db: Db;
  /** Closes `db`, ends every other connection to the database and drops it. */
  drop(): Promise<void>;
};

/** Creates `ew_test_<random>` on TEST_DATABASE_URL's server (default: local Postgres) and migrates it. */
export async function createTestDatabase(): Promise<TestDatabase> {
  const adminUrl = readDbEnv().testDatabaseUrl;
  const name = `ew_test_${randomBytes(6).toString("hex")}`;
  await withAdmin(adminUrl, (admin) => admin.query(`create database "${name}"`));
  const url = withDatabase(adminUrl, name);
  try {
    await migrateDatabase(url);
  } catch (err) {
    await dropDatabase(adminUrl, name);
    throw err;
  }
  const handle = createDb(url, { max: 5, applicationName: "edgewatt-test" });
  let dropped: Promise<void> | null = null;
  return {
    url,
    db: handle.db,
    drop: () => {
      dropped ??= (async () => {
        await handle.close();
        await dropDatabase(adminUrl, name);
      })();
      return dropped;
    },
  };
}

async function dropDatabase(adminUrl: string, name: string): Promise<void> {
  await withAdmin(adminUrl, async (admin) => {
    await admin.query(
      "select pg_terminate_backend(pid) from pg_stat_activity where datname = $1 and pid <> pg_backend_pid()",
      [name],
    );
    await admin.query(`drop database if exists "${name}" with (force)`);
  });
}

async function withAdmin<T>(adminUrl: string, fn: (client: pg.Client) => Promise<T>): Promise<T> {
  const client = new pg.Client({ connectionString: adminUrl, application_name: "edgewatt-test-admin" });
  await client.connect();
  try {
    return await fn(client);
  } finally {
    await client.end();
  }
}

function withDatabase(url: string, database: string): string {
  const u = new URL(url);
  u.pathname = `/${database}`;
  return u.toString();
}
