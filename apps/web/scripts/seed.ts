/**
 * pnpm --filter @edgewatt/web seed [--agent-token] [--json]
 *
 * Ensures the demo org "Demo" (slug demo) and its admin admin@edgewatt.local, with the password from
 * EDGEWATT_ADMIN_PASSWORD or a fresh random one (printed; an existing admin's password is reset so the
 * printed login always works). --agent-token also creates an enrollment token (24 h, 1 use) for the
 * local agent. --json prints one line {"email","password","orgId","agentToken"?} for the launcher.
 * Needs DATABASE_URL; migrates nothing (run the migrations first).
 */
import { parseArgs } from "node:util";
import { createDb } from "@edgewatt/db";
import { seedEnv, serverEnv } from "../src/env";
import { ensureDemoOrg } from "../src/server/services/seed/ensure-demo-org";

const USAGE = "usage: tsx scripts/seed.ts [--agent-token] [--json]";

async function main(): Promise<number> {
  let args: { "agent-token"?: boolean; json?: boolean; help?: boolean };
  try {
    args = parseArgs({
      options: {
        "agent-token": { type: "boolean" },
        json: { type: "boolean" },
        help: { type: "boolean", short: "h" },
      },
      strict: true,
    }).values;
  } catch (err) {
    console.error(`${(err as Error).message}\n${USAGE}`);
    return 2;
  }
  if (args.help) {
    console.log(USAGE);
    return 0;
  }
  const env = serverEnv();
  const { adminPassword } = seedEnv();
  const handle = createDb(env.databaseUrl, { applicationName: "edgewatt-seed", max: 2 });
  try {
    const seed = await ensureDemoOrg({
      db: handle.db,
      adminPassword,
      withAgentToken: args["agent-token"] === true,
      serverUrl: env.publicUrl ?? "http://localhost:3000",
    });
    if (args.json) {
      console.log(
        JSON.stringify({
          email: seed.email,
          password: seed.password,
          orgId: seed.orgId,
          ...(seed.agentToken ? { agentToken: seed.agentToken.secret } : {}),
        }),
      );
      return 0;
    }
    const lines = [
      `${seed.createdOrg ? "Created" : "Found"} organization "${seed.orgName}" (${seed.orgId}).`,
      `${seed.createdUser ? "Created" : "Updated"} its admin. Sign in with:`,
      `  email:    ${seed.email}`,
      `  password: ${seed.password}${seed.passwordGenerated ? "   (generated now; stored only as a hash)" : "   (from EDGEWATT_ADMIN_PASSWORD)"}`,
    ];
    if (seed.agentToken) {
      lines.push(
        "",
        `Enrollment token for the local agent (1 use, valid until ${seed.agentToken.expiresAt.toISOString()}):`,
        `  ${seed.agentToken.command}`,
      );
    }
    console.log(lines.join("\n"));
    return 0;
  } finally {
    await handle.close();
  }
}

main().then(
  (code) => process.exit(code),
  (err: unknown) => {
    console.error(`seed failed: ${err instanceof Error ? err.message : String(err)}`);
    process.exit(1);
  },
);
