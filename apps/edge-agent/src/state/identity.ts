/**
 * identity.json: what enrollment returned, plus where and when the device enrolled, and the device's own NATS
 * key pair. The file is private (0600): with NATS in operator mode `nats.credentials` holds the user JWT the
 * portal minted and the seed the agent generated (the portal never saw it).
 */
import { ZEnrollmentResponse } from "@edgewatt/protocol";
import { z } from "zod";
import { AgentError } from "../errors";
import { ensurePrivateDir, readOptionalFile, statePaths, writePrivateFile } from "./paths";

const NatsUserSeed = z.string().regex(/^SU[A-Z2-7]{56}$/, "a NATS user seed (SU…)");

export const ZIdentity = ZEnrollmentResponse.extend({
  /** The portal the device enrolled with. */
  server: z.url(),
  enrolledAt: z.string(),
  agentVersion: z.string(),
  /**
   * The seed of the device's NATS user key, whose public key the portal knows. Kept even when the portal issued
   * no credentials (NATS without auth), so that `edgewatt-agent rotate` can later obtain some.
   */
  natsUserSeed: NatsUserSeed.optional(),
  /** A key generated for a rotation whose answer has not been stored yet (see `rotate`). */
  natsNextSeed: NatsUserSeed.optional(),
});
export type Identity = z.infer<typeof ZIdentity>;

/** The identity in `stateDir`, or null when the device has not enrolled there. */
export async function findIdentity(stateDir: string): Promise<Identity | null> {
  const path = statePaths(stateDir).identity;
  const text = await readOptionalFile(path);
  if (text === null) return null;
  let raw: unknown;
  try {
    raw = JSON.parse(text);
  } catch (cause) {
    throw new AgentError("IDENTITY_INVALID", `${path} is not valid JSON — re-enroll with --force`, { cause });
  }
  const parsed = ZIdentity.safeParse(raw);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    throw new AgentError(
      "IDENTITY_INVALID",
      `${path} is invalid (${issue?.path.join(".")}: ${issue?.message}) — re-enroll with --force`,
      { cause: parsed.error },
    );
  }
  return parsed.data;
}

export async function getIdentity(stateDir: string): Promise<Identity> {
  const identity = await findIdentity(stateDir);
  if (!identity) {
    throw new AgentError(
      "NOT_ENROLLED",
      `this device is not enrolled (no identity in ${stateDir}) — run: edgewatt-agent enroll --server <portal URL> --token <token>`,
    );
  }
  return identity;
}

export async function writeIdentity(stateDir: string, identity: Identity): Promise<string> {
  await ensurePrivateDir(stateDir);
  const path = statePaths(stateDir).identity;
  await writePrivateFile(path, `${JSON.stringify(ZIdentity.parse(identity), null, 2)}\n`);
  return path;
}
