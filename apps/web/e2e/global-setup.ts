/**
 * Starts the whole stack once for the browser/e2e specs: the launcher's own nats-server (random port, store in
 * a temp EdgeWatt home), a fresh database in the real Postgres, `next build` + `next start`, the worker and the
 * launcher's local agent. The specs find it through EW_* environment variables.
 */
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { createTestDatabase } from "@edgewatt/db/testing";
import { readLauncherEnv, type Stack, startStack } from "@edgewatt/infra/dev";
import { freePort } from "@edgewatt/nats/testing";

let stack: Stack | undefined;
let home: string | undefined;
let dropDb: (() => Promise<void>) | undefined;

export async function setup(): Promise<void> {
  home = await mkdtemp(join(tmpdir(), "ew-e2e-"));
  const testDb = await createTestDatabase();
  dropDb = async () => {
    await testDb.drop();
  };
  const env = readLauncherEnv({
    EDGEWATT_HOME: home,
    DATABASE_URL: testDb.url,
    PORT: String(await freePort()),
    EDGEWATT_NATS_PORT: String(await freePort()),
    EDGEWATT_ADMIN_PASSWORD: "e2e-admin-password",
    PATH: process.env.PATH,
  });
  stack = await startStack({
    env,
    webMode: "prod",
    skipBuild: process.env.EW_E2E_SKIP_BUILD === "1",
    localAgent: true,
    agentArgs: ["--rate", "5"],
    quiet: process.env.EW_E2E_VERBOSE !== "1",
    log: (line) => process.stdout.write(`[e2e-stack] ${line}\n`),
  });
  Object.assign(process.env, {
    EW_WEB_URL: stack.webUrl,
    EW_NATS_URL: stack.natsUrl,
    EW_DATABASE_URL: stack.databaseUrl,
    EW_ADMIN_EMAIL: stack.admin.email,
    EW_ADMIN_PASSWORD: stack.admin.password,
    EW_ORG_ID: stack.orgId,
    EW_HOME: home,
    EW_LOCAL_AGENT_DIR: stack.agentStateDir ?? "",
  });
}

export async function teardown(): Promise<void> {
  await stack?.stop();
  await dropDb?.();
  if (home) await rm(home, { recursive: true, force: true });
}
