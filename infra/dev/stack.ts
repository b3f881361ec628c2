/**
 * Brings the whole of EdgeWatt up on one machine: Postgres (embedded PGlite served over the wire protocol unless
 * DATABASE_URL is given) with its migrations, NATS (started here unless NATS_URL is given), the demo seed, then
 * the worker, the portal and one local edge agent that enrolls itself with a fresh token.
 *
 * EDGEWATT_NATS_AUTH=jwt runs NATS in operator mode: the trust chain lives in the database (seeds sealed with
 * EDGEWATT_SECRET_KEY, generated into $EDGEWATT_HOME/secret-key unless given), the server config is rendered from
 * it at every start, the worker and the launcher use a service user (NATS_CREDS), the portal mints its own, and
 * the local agent enrolls with its own key pair. JetStream data of the no-auth mode (global account) is not
 * visible in operator mode: switching modes starts NATS empty, and the local agent enrolls again.
 */
import { randomBytes } from "node:crypto";
import { existsSync } from "node:fs";
import { mkdir, readFile, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { migrateDatabase, startEmbeddedPostgres } from "@edgewatt/db";
import { connectNats, ensureControlPlane, readCredentialsFile } from "@edgewatt/nats";
import { type Child, spawnChild, waitForHttp } from "./children";
import type { LauncherEnv } from "./env";
import { startLocalNats } from "./nats-server";
import { repoRoot, tsxBin } from "./paths";

export interface StackOptions {
  env: LauncherEnv;
  /** `dev`: next dev with hot reload; `prod`: next build (unless skipBuild) then next start. */
  webMode: "dev" | "prod";
  skipBuild?: boolean;
  localAgent: boolean;
  /** Agent options, e.g. ["--rate", "5"]. */
  agentArgs?: string[];
  quiet?: boolean;
  log?: (line: string) => void;
}

export interface Stack {
  webUrl: string;
  natsUrl: string;
  databaseUrl: string;
  admin: { email: string; password: string };
  orgId: string;
  agentStateDir: string | null;
  /** Runs an edgewatt-agent CLI command against this stack (for tests and the launcher itself). */
  agentCli(args: string[], opts?: { quiet?: boolean }): Promise<{ code: number | null; output: string }>;
  stop(): Promise<void>;
}

type SeedOutput = { email: string; password: string; orgId: string; agentToken?: string };

export async function startStack(opts: StackOptions): Promise<Stack> {
  const { env } = opts;
  const log = opts.log ?? ((line: string) => process.stdout.write(`[launcher] ${line}\n`));
  const root = repoRoot();
  const cleanups: (() => Promise<void>)[] = [];
  const stopAll = async () => {
    for (const fn of cleanups.reverse()) await fn().catch((err) => log(`cleanup failed: ${String(err)}`));
  };
  try {
    await mkdir(env.home, { recursive: true });

    // Postgres
    let databaseUrl = env.DATABASE_URL;
    if (databaseUrl) {
      await migrateDatabase(databaseUrl);
      log("migrated DATABASE_URL");
    } else {
      const pg = await startEmbeddedPostgres({
        dataDir: join(env.home, "pglite"),
        port: env.EDGEWATT_PG_PORT,
        host: "127.0.0.1",
      });
      databaseUrl = pg.url;
      cleanups.push(() => pg.stop());
      log(`embedded Postgres (PGlite) at ${databaseUrl} (data ${join(env.home, "pglite")})`);
    }

    const authSecret = await persistentSecret(join(env.home, "auth-secret"));
    const natsAuth =
      env.EDGEWATT_NATS_AUTH === "jwt" ? await prepareNatsAuth(root, env, databaseUrl, log) : null;

    // NATS
    let natsUrl = env.NATS_URL;
    if (!natsUrl) {
      const nats = await startLocalNats({
        home: env.home,
        port: env.EDGEWATT_NATS_PORT,
        bin: env.NATS_SERVER_BIN,
        searchPath: env.PATH,
        ...(natsAuth ? { authConfig: natsAuth.config } : {}),
      });
      natsUrl = nats.url;
      cleanups.push(async () => {
        nats.process.kill("SIGTERM");
        await new Promise((r) => nats.process.once("exit", r));
      });
      log(
        `nats-server with JetStream at ${natsUrl} (store ${join(env.home, "nats")})${natsAuth ? ", operator mode (per-device credentials)" : ""}`,
      );
    } else if (natsAuth) {
      log(`NATS_URL is set: include ${natsAuth.configPath} in that server's config for operator mode`);
    }
    const nc = await connectNats({
      servers: natsUrl,
      name: "edgewatt-launcher",
      ...(natsAuth ? { credentials: await readCredentialsFile(natsAuth.credsPath) } : {}),
    });
    await ensureControlPlane(nc);
    await nc.close();

    const webUrl = `http://${env.HOSTNAME}:${env.PORT}`;
    const appEnv = {
      DATABASE_URL: databaseUrl,
      NATS_URL: natsUrl,
      AUTH_SECRET: authSecret,
      AUTH_URL: webUrl,
      AUTH_TRUST_HOST: "true",
      EDGEWATT_PUBLIC_URL: webUrl,
      ...(natsAuth
        ? {
            EDGEWATT_NATS_AUTH: "jwt",
            EDGEWATT_SECRET_KEY: natsAuth.secretKey,
            NATS_CREDS: natsAuth.credsPath,
          }
        : {}),
    };

    const agentStateDir = opts.localAgent ? join(env.home, "agent") : null;
    const needsAgentToken =
      agentStateDir !== null &&
      !(await hasUsableIdentity(join(agentStateDir, "identity.json"), natsAuth !== null));
    const seed = await runSeed(
      root,
      { ...appEnv, EDGEWATT_ADMIN_PASSWORD: env.EDGEWATT_ADMIN_PASSWORD },
      needsAgentToken,
    );

    const children: Child[] = [];
    cleanups.push(async () => {
      for (const c of children.reverse()) await c.stop();
    });
    const quiet = opts.quiet ?? false;
    children.push(
      spawnChild({
        name: "worker",
        command: tsxBin(),
        args: ["apps/worker/src/main.ts"],
        cwd: root,
        env: appEnv,
        quiet,
      }),
    );

    const webDir = join(root, "apps/web");
    const nextBin = join(webDir, "node_modules/.bin/next");
    if (opts.webMode === "prod" && !opts.skipBuild) {
      log("building the portal (next build)…");
      const build = spawnChild({
        name: "build",
        command: nextBin,
        args: ["build"],
        cwd: webDir,
        env: appEnv,
        quiet,
      });
      const code = await build.exited;
      if (code !== 0) throw new Error(`next build failed with exit code ${code}`);
    }
    const web = spawnChild({
      name: "web",
      command: nextBin,
      args: [opts.webMode === "dev" ? "dev" : "start", "-p", String(env.PORT), "-H", env.HOSTNAME],
      cwd: webDir,
      env: { ...appEnv, PORT: String(env.PORT) },
      quiet,
    });
    children.push(web);
    await waitForHttp(`${webUrl}/signin`, 180_000, web);
    log(`portal ready at ${webUrl}`);

    const agentCli = async (args: string[], cliOpts: { quiet?: boolean } = {}) => {
      let output = "";
      const child = spawnChild({
        name: "agent",
        command: tsxBin(),
        args: ["apps/edge-agent/src/cli/main.ts", ...args],
        cwd: root,
        env: {},
        quiet: cliOpts.quiet ?? quiet,
        onLine: (l) => {
          output += `${l}\n`;
        },
      });
      return { code: await child.exited, output };
    };

    if (agentStateDir) {
      if (needsAgentToken) {
        if (!seed.agentToken) throw new Error("the seed did not return an agent token");
        const enroll = await agentCli([
          "enroll",
          "--server",
          webUrl,
          "--token",
          seed.agentToken,
          "--name",
          "local-agent",
          "--state-dir",
          agentStateDir,
          "--force",
        ]);
        if (enroll.code !== 0) throw new Error(`local agent enrollment failed:\n${enroll.output}`);
        log("local agent enrolled");
      }
      children.push(
        spawnChild({
          name: "agent",
          command: tsxBin(),
          args: [
            "apps/edge-agent/src/cli/main.ts",
            "run",
            "--state-dir",
            agentStateDir,
            ...(opts.agentArgs ?? []),
          ],
          cwd: root,
          env: {},
          quiet,
        }),
      );
    }

    return {
      webUrl,
      natsUrl,
      databaseUrl,
      admin: { email: seed.email, password: seed.password },
      orgId: seed.orgId,
      agentStateDir,
      agentCli,
      stop: stopAll,
    };
  } catch (err) {
    await stopAll();
    throw err;
  }
}

interface LauncherNatsAuth {
  /** The operator-mode fragment of nats.conf. */
  config: string;
  configPath: string;
  /** A service user's .creds (launcher and worker). */
  credsPath: string;
  secretKey: string;
}

/**
 * Operator mode: the portal's `scripts/nats-auth.ts` creates the trust chain in the database on first start
 * (later starts read it back, with the latest revocations) and writes the server config fragment and a service
 * user's credentials under $EDGEWATT_HOME/nats.
 */
async function prepareNatsAuth(
  root: string,
  env: LauncherEnv,
  databaseUrl: string,
  log: (line: string) => void,
): Promise<LauncherNatsAuth> {
  const dir = join(env.home, "nats");
  await mkdir(dir, { recursive: true, mode: 0o700 });
  const secretKey = env.EDGEWATT_SECRET_KEY ?? (await persistentSecret(join(env.home, "secret-key")));
  const configPath = join(dir, "auth.conf");
  const credsPath = join(dir, "service.creds");
  let out = "";
  const child = spawnChild({
    name: "natsauth",
    command: tsxBin(),
    args: [
      "scripts/nats-auth.ts",
      "--config",
      configPath,
      "--resolver-dir",
      join(dir, "jwt"),
      "--service-creds",
      credsPath,
    ],
    cwd: join(root, "apps/web"),
    env: { DATABASE_URL: databaseUrl, EDGEWATT_NATS_AUTH: "jwt", EDGEWATT_SECRET_KEY: secretKey },
    quiet: true,
    onLine: (l) => {
      out += `${l}\n`;
    },
  });
  const code = await child.exited;
  if (code !== 0) throw new Error(`setting up NATS operator mode failed (exit ${code}):\n${out}`);
  log(`NATS operator mode: trust chain in the database, config ${configPath}`);
  return { config: await readFile(configPath, "utf8"), configPath, credsPath, secretKey };
}

/** An identity the local agent can run with: present, and holding NATS credentials when the stack needs them. */
async function hasUsableIdentity(path: string, needsCredentials: boolean): Promise<boolean> {
  if (!existsSync(path)) return false;
  if (!needsCredentials) return true;
  try {
    const identity = JSON.parse(await readFile(path, "utf8")) as {
      nats?: { credentials?: { jwt?: unknown } };
    };
    return typeof identity.nats?.credentials?.jwt === "string";
  } catch {
    return false;
  }
}

async function persistentSecret(path: string): Promise<string> {
  if (existsSync(path)) return (await readFile(path, "utf8")).trim();
  const secret = randomBytes(32).toString("base64url");
  await writeFile(path, `${secret}\n`, { mode: 0o600 });
  return secret;
}

async function runSeed(
  root: string,
  env: Record<string, string | undefined>,
  agentToken: boolean,
): Promise<SeedOutput> {
  let out = "";
  const child = spawnChild({
    name: "seed",
    command: tsxBin(),
    args: ["scripts/seed.ts", "--json", ...(agentToken ? ["--agent-token"] : [])],
    cwd: join(root, "apps/web"),
    env,
    quiet: true,
    onLine: (l) => {
      out += `${l}\n`;
    },
  });
  const code = await child.exited;
  const line = out
    .split("\n")
    .reverse()
    .find((l) => l.trim().startsWith("{"));
  if (code !== 0 || !line) throw new Error(`seeding failed (exit ${code}):\n${out}`);
  return JSON.parse(line) as SeedOutput;
}
