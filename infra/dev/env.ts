/** The dev launcher's configuration, read once from the environment. */
import { join } from "node:path";
import { z } from "zod";
import { repoRoot } from "./paths";

const ZEnv = z.object({
  NATS_URL: z.string().url().optional(),
  DATABASE_URL: z.string().url().optional(),
  EDGEWATT_HOME: z.string().optional(),
  PORT: z.coerce.number().int().min(1).max(65535).default(3000),
  HOSTNAME: z.string().default("127.0.0.1"),
  EDGEWATT_NATS_PORT: z.coerce.number().int().min(1).max(65535).default(14222),
  EDGEWATT_PG_PORT: z.coerce.number().int().min(1).max(65535).default(15432),
  EDGEWATT_ADMIN_PASSWORD: z.string().min(8).optional(),
  EDGEWATT_LOCAL_AGENT: z.enum(["0", "1"]).default("1"),
  NATS_SERVER_BIN: z.string().optional(),
  /** `jwt`: run NATS in operator mode with per-device credentials (the default stays without auth). */
  EDGEWATT_NATS_AUTH: z.enum(["none", "jwt"]).default("none"),
  /** Seals the NATS seeds in the database (jwt mode); default: generated once into $EDGEWATT_HOME/secret-key. */
  EDGEWATT_SECRET_KEY: z.string().min(32).optional(),
  PATH: z.string().default(""),
});

export type LauncherEnv = z.infer<typeof ZEnv> & { home: string };

export function readLauncherEnv(source: Record<string, string | undefined> = process.env): LauncherEnv {
  const parsed = ZEnv.safeParse(source);
  if (!parsed.success) {
    const issues = parsed.error.issues.map((i) => `${i.path.join(".")}: ${i.message}`).join("; ");
    throw new Error(`invalid environment: ${issues}`);
  }
  return { ...parsed.data, home: parsed.data.EDGEWATT_HOME ?? join(repoRoot(), ".edgewatt") };
}
