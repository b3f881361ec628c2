import { readFileSync } from "node:fs";
import { join } from "node:path";
import { sql } from "drizzle-orm";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createDevice, createDeviceGroup, migrateDatabase, migrationsFolder } from "../src/index";
import { createTestDatabase, type TestDatabase } from "../src/testing/index";
import { makeOrg } from "./fixtures";

describe("migrations on Postgres", () => {
  let t: TestDatabase;
  beforeAll(async () => {
    t = await createTestDatabase();
  });
  afterAll(async () => {
    await t?.drop();
  });

  it("creates every table of the schema and records the migration", async () => {
    const tables = await t.db.execute<{ table_name: string }>(
      sql`select table_name from information_schema.tables where table_schema = 'public' order by table_name`,
    );
    expect(tables.rows.map((r) => r.table_name)).toEqual([
      "accounts",
      "audit_log",
      "deployments",
      "device_groups",
      "devices",
      "energy_policies",
      "enrollment_tokens",
      "invitations",
      "memberships",
      "model_variants",
      "models",
      "nats_auth",
      "nats_user_revocations",
      "optimization_jobs",
      "org_nats_signing_keys",
      "orgs",
      "rollouts",
      "sessions",
      "telemetry_samples",
      "users",
      "verification_tokens",
    ]);
    const applied = await t.db.execute<{ n: number }>(
      sql`select count(*)::int as n from drizzle.__drizzle_migrations`,
    );
    expect(applied.rows[0]?.n).toBeGreaterThanOrEqual(1);
  });

  it("is a no-op when run again, also by several migrators at once", async () => {
    await Promise.all([migrateDatabase(t.url), migrateDatabase(t.url), migrateDatabase(t.url)]);
    const applied = await t.db.execute<{ n: number }>(
      sql`select count(*)::int as n from drizzle.__drizzle_migrations`,
    );
    const journal = JSON.parse(readFileSync(join(migrationsFolder(), "meta/_journal.json"), "utf8")) as {
      entries: unknown[];
    };
    expect(applied.rows[0]?.n).toBe(journal.entries.length);
  });

  it("attaches the schema and relations, so db.query works", async () => {
    const { org } = await makeOrg(t.db);
    const group = await createDeviceGroup(t.db, { orgId: org.id, name: "lab" });
    await createDevice(t.db, {
      orgId: org.id,
      groupId: group.id,
      name: "pi-1",
      platform: { os: "linux", arch: "arm64" },
      meters: ["model"],
      agentVersion: "0.1.0",
      enrollmentTokenId: null,
    });
    const found = await t.db.query.devices.findMany({
      where: (d, { eq }) => eq(d.orgId, org.id),
      with: { group: true },
    });
    expect(found).toHaveLength(1);
    expect(found[0]?.group?.name).toBe("lab");
  });
});
