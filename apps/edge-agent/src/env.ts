/** The agent's only view of process.env, validated once. */
import { z } from "zod";
import { AgentError } from "./errors";

const ZAgentEnv = z.object({
  /** State directory (identity, cache, outbox, status); `--state-dir` wins over it. */
  EDGEWATT_AGENT_HOME: z.string().min(1).optional(),
  /** Most telemetry batches kept on disk while the broker is unreachable; the oldest are dropped past it. */
  EDGEWATT_AGENT_OUTBOX_MAX: z.coerce.number().int().positive().default(10_000),
  /** `--rate` default (inferences per second). */
  EDGEWATT_AGENT_RATE: z.coerce.number().positive().max(1000).default(5),
});
export type AgentEnv = z.infer<typeof ZAgentEnv>;

let cached: AgentEnv | undefined;

export function getEnv(): AgentEnv {
  if (cached) return cached;
  const parsed = ZAgentEnv.safeParse(process.env);
  if (!parsed.success) {
    const issues = parsed.error.issues.map((i) => `${i.path.join(".")}: ${i.message}`).join("; ");
    throw new AgentError("ENV_INVALID", `invalid edge-agent environment: ${issues}`);
  }
  cached = parsed.data;
  return cached;
}
