/** `pnpm dev` / `pnpm start`: everything on one machine with embedded defaults. */
import { readLauncherEnv } from "./env";
import { MissingBinaryError } from "./nats-server";
import { startStack } from "./stack";

const mode = process.argv.includes("--prod") ? "prod" : "dev";

async function main(): Promise<void> {
  const env = readLauncherEnv();
  const stack = await startStack({ env, webMode: mode, localAgent: env.EDGEWATT_LOCAL_AGENT === "1" });
  const banner = [
    "",
    "  EdgeWatt is running",
    `  portal:   ${stack.webUrl}`,
    `  sign in:  ${stack.admin.email} / ${stack.admin.password}`,
    `  NATS:     ${stack.natsUrl}`,
    `  database: ${stack.databaseUrl}`,
    stack.agentStateDir
      ? `  agent:    local-agent (state in ${stack.agentStateDir})`
      : "  agent:    not started",
    "  Ctrl-C stops everything.",
    "",
  ];
  process.stdout.write(`${banner.join("\n")}\n`);
  let stopping = false;
  const shutdown = async (signal: string) => {
    if (stopping) return;
    stopping = true;
    process.stdout.write(`\n[launcher] ${signal}: stopping…\n`);
    await stack.stop();
    process.exit(0);
  };
  process.on("SIGINT", () => void shutdown("SIGINT"));
  process.on("SIGTERM", () => void shutdown("SIGTERM"));
}

main().catch((err) => {
  if (err instanceof MissingBinaryError) {
    process.stderr.write(`\n${err.message}\n`);
  } else {
    process.stderr.write(`\nEdgeWatt failed to start: ${err instanceof Error ? err.message : String(err)}\n`);
  }
  process.exit(1);
});
