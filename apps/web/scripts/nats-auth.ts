/**
 * pnpm --filter @edgewatt/web exec tsx scripts/nats-auth.ts --config <file> --resolver-dir <dir> --service-creds <file>
 *
 * For EDGEWATT_NATS_AUTH=jwt: ensures the NATS trust chain in the database (creating it on first run) and writes
 *   --config         the nats-server config fragment (operator, system account, full resolver, preload of the
 *                    latest account JWTs from the database) to include in nats.conf;
 *   --service-creds  a .creds file (0600) of a new service user for the worker and the launcher.
 * Prints one JSON line {operator, account, accountJwtVersion} (public keys only). Needs DATABASE_URL and
 * EDGEWATT_SECRET_KEY; migrates nothing (run the migrations first).
 */
import { chmod, writeFile } from "node:fs/promises";
import { parseArgs } from "node:util";
import { createDb, createSecretBox } from "@edgewatt/db";
import { formatCredentials, mintServiceUser, renderServerAuthConfig } from "@edgewatt/nats/auth";
import { serverEnv } from "../src/env";
import { ensureNatsAuth } from "../src/server/services/nats-auth/ensure-nats-auth";

const USAGE = "usage: tsx scripts/nats-auth.ts --config <file> --resolver-dir <dir> --service-creds <file>";

async function main(): Promise<number> {
  let args: { config?: string; "resolver-dir"?: string; "service-creds"?: string };
  try {
    args = parseArgs({
      options: {
        config: { type: "string" },
        "resolver-dir": { type: "string" },
        "service-creds": { type: "string" },
      },
      strict: true,
    }).values;
  } catch (err) {
    console.error(`${(err as Error).message}\n${USAGE}`);
    return 2;
  }
  if (!args.config || !args["resolver-dir"] || !args["service-creds"]) {
    console.error(USAGE);
    return 2;
  }
  const env = serverEnv();
  if (env.natsAuth.mode !== "jwt") {
    console.error("EDGEWATT_NATS_AUTH is not jwt: NATS runs without auth, there is nothing to set up.");
    return 2;
  }
  const box = createSecretBox(env.natsAuth.secretKey);
  const handle = createDb(env.databaseUrl, { applicationName: "edgewatt-nats-auth", max: 2 });
  try {
    const material = await ensureNatsAuth({ db: handle.db, box });
    await writeFile(
      args.config,
      renderServerAuthConfig({
        operatorJwt: material.operator.jwt,
        systemAccountPublicKey: material.systemAccount.publicKey,
        accountJwts: [material.systemAccount.jwt, material.account.jwt],
        resolverDir: args["resolver-dir"],
      }),
      { mode: 0o600 },
    );
    await chmod(args.config, 0o600);
    const service = await mintServiceUser({ accountSeed: material.account.seed, name: "launcher" });
    await writeFile(args["service-creds"], formatCredentials(service), { mode: 0o600 });
    await chmod(args["service-creds"], 0o600);
    console.log(
      JSON.stringify({
        operator: material.operator.publicKey,
        account: material.account.publicKey,
        accountJwtVersion: material.accountJwtVersion,
      }),
    );
    return 0;
  } finally {
    await handle.close();
  }
}

main().then(
  (code) => process.exit(code),
  (err: unknown) => {
    console.error(`nats-auth failed: ${err instanceof Error ? err.message : String(err)}`);
    process.exit(1);
  },
);
