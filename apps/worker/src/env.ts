/** The worker's configuration, read and validated once. Nothing else in the worker reads process.env. */
import { z } from "zod";

export const LOG_LEVELS = ["debug", "info", "warn", "error"] as const;
export type LogLevel = (typeof LOG_LEVELS)[number];

const ZEnv = z.object({
  DATABASE_URL: z
    .string()
    .min(1, "DATABASE_URL is required (e.g. postgres://postgres@127.0.0.1:5432/edgewatt)"),
  NATS_URL: z.string().min(1).default("nats://127.0.0.1:4222"),
  WORKER_CONCURRENCY: z.coerce.number().int().min(1).max(64).default(1),
  LOG_LEVEL: z.enum(LOG_LEVELS).default("info"),
});
export type WorkerEnv = z.infer<typeof ZEnv>;

export function loadEnv(source: Record<string, string | undefined> = process.env): WorkerEnv {
  const parsed = ZEnv.safeParse(source);
  if (!parsed.success) {
    const issues = parsed.error.issues.map((i) => `${i.path.join(".")}: ${i.message}`).join("; ");
    throw new Error(`invalid worker environment: ${issues}`);
  }
  return parsed.data;
}
