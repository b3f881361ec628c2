/** status.json: what the running agent last reported about itself, for `edgewatt-agent status`. */
import { z } from "zod";
import { readOptionalFile, statePaths, writePrivateFile } from "./paths";

export const ZAgentStatus = z.object({
  pid: z.number(),
  boot: z.string(),
  agentVersion: z.string(),
  startedAt: z.string(),
  updatedAt: z.string(),
  running: z.boolean(),
  connected: z.boolean(),
  meter: z.object({
    source: z.string(),
    description: z.string(),
    /** Measurements the model meter took because the sensor could not be read. */
    fallbacks: z.number().default(0),
    degraded: z.object({ since: z.string(), reason: z.string() }).nullable().default(null),
  }),
  input: z.string(),
  /** Where the local inference API listens. */
  api: z
    .object({ http: z.string().nullable(), socket: z.string().nullable() })
    .default({ http: null, socket: null }),
  policy: z
    .object({
      mode: z.string(),
      policyId: z.string().nullable(),
      version: z.number().nullable(),
      note: z.string().nullable(),
    })
    .nullable()
    .default(null),
  sessions: z
    .array(
      z.object({
        variant: z.string(),
        threads: z.number(),
        state: z.string(),
        estimatedBytes: z.number(),
        inUse: z.number(),
        error: z.string().nullable(),
        /** This device's measured energy per inference of the variant (EWMA, J), once it has run. */
        observedEnergyJ: z.number().nullable().default(null),
      }),
    )
    .default([]),
  queue: z
    .object({ critical: z.number(), normal: z.number(), background: z.number() })
    .nullable()
    .default(null),
  assignment: z
    .object({
      deploymentId: z.string(),
      modelId: z.string(),
      modelName: z.string(),
      policyMode: z.string(),
      policyVariant: z.string().nullable(),
      ladder: z.array(z.string()),
      revision: z.number(),
      receivedAt: z.string(),
    })
    .nullable(),
  activeVariant: z
    .object({ name: z.string(), sha256: z.string(), threads: z.number(), loadedAt: z.string() })
    .nullable(),
  counters: z.record(z.string(), z.number()),
  outbox: z.object({ depth: z.number(), dropped: z.number() }),
  lastError: z.object({ at: z.string(), message: z.string() }).nullable(),
});
export type AgentStatus = z.infer<typeof ZAgentStatus>;

export async function writeStatus(stateDir: string, status: AgentStatus): Promise<void> {
  await writePrivateFile(statePaths(stateDir).status, `${JSON.stringify(status, null, 2)}\n`);
}

/** The last status the agent wrote, or null when there is none (or it is unreadable). */
export async function findStatus(stateDir: string): Promise<AgentStatus | null> {
  const text = await readOptionalFile(statePaths(stateDir).status);
  if (!text) return null;
  try {
    const parsed = ZAgentStatus.safeParse(JSON.parse(text));
    return parsed.success ? parsed.data : null;
  } catch {
    return null;
  }
}
