/**
 * assignment.json: the assignment that serves (its raw KV value and revision, and the policy artifact it used),
 * written after every deployment. A restart while the broker is unreachable serves it again from the cache.
 */
import { rm } from "node:fs/promises";
import { z } from "zod";
import type { PersistedAssignment } from "../agent/deployment-manager";
import { readOptionalFile, statePaths, writePrivateFile } from "./paths";

const ZSaved = z.object({
  revision: z.number().int().nonnegative(),
  value: z.string().min(1),
  policy: z.string().nullable(),
  savedAt: z.string(),
});

export async function saveAssignment(stateDir: string, record: PersistedAssignment | null): Promise<void> {
  const path = statePaths(stateDir).assignment;
  if (!record) {
    await rm(path, { force: true });
    return;
  }
  const saved: z.infer<typeof ZSaved> = {
    revision: record.revision,
    value: Buffer.from(record.value).toString("base64"),
    policy: record.policy ? Buffer.from(record.policy).toString("base64") : null,
    savedAt: new Date().toISOString(),
  };
  await writePrivateFile(path, `${JSON.stringify(saved)}\n`);
}

/** The saved assignment, or null when there is none or it is unreadable (then the broker's copy is awaited). */
export async function loadSavedAssignment(stateDir: string): Promise<PersistedAssignment | null> {
  const text = await readOptionalFile(statePaths(stateDir).assignment).catch(() => null);
  if (!text) return null;
  try {
    const saved = ZSaved.parse(JSON.parse(text));
    return {
      revision: saved.revision,
      value: new Uint8Array(Buffer.from(saved.value, "base64")),
      policy: saved.policy ? new Uint8Array(Buffer.from(saved.policy, "base64")) : null,
    };
  } catch {
    return null;
  }
}
