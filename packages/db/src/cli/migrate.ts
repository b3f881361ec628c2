/**
 * `pnpm db:migrate`: migrations to Postgres when DATABASE_URL is set, otherwise to the embedded PGlite
 * data dir (`$EDGEWATT_HOME/pglite`, default `<repo root>/.edgewatt/pglite`). Stop the one-machine
 * stack first when migrating PGlite: a data dir can be open in one process only.
 */
import { defaultPgliteDataDir, readDbEnv } from "../env";
import { DbError } from "../errors";
import { migrateDatabase, migratePglite, redactUrl } from "../migrate";

async function main(): Promise<void> {
  const env = readDbEnv();
  if (env.databaseUrl !== null) {
    await migrateDatabase(env.databaseUrl);
    console.log(`migrations applied to ${redactUrl(env.databaseUrl)}`);
  } else {
    const dataDir = defaultPgliteDataDir(env);
    await migratePglite(dataDir);
    console.log(`migrations applied to embedded PGlite at ${dataDir} (set DATABASE_URL to use Postgres)`);
  }
}

main().catch((err: unknown) => {
  if (err instanceof DbError) {
    console.error(`db:migrate failed [${err.code}]: ${err.message}`);
  } else {
    console.error("db:migrate failed:", err);
  }
  process.exitCode = 1;
});
