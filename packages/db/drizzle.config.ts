import { defineConfig } from "drizzle-kit";

/**
 * `pnpm --filter @edgewatt/db generate` diffs the schema against drizzle/meta and writes a new SQL
 * migration. It needs no database. Review the SQL, commit it, then `pnpm db:migrate`.
 */
export default defineConfig({
  dialect: "postgresql",
  schema: "./src/schema/index.ts",
  out: "./drizzle",
  strict: true,
  verbose: true,
});
