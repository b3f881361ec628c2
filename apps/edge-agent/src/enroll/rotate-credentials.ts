/**
 * Credential rotation: a new NATS key pair for this device, and a user JWT for it from the portal's
 * POST /api/agent/rotate, which trusts the request because it is signed with the device's current key.
 *
 * The new seed is written to identity.json (as `natsNextSeed`) before the request: if the answer is lost after
 * the portal committed (the old key is then revoked), the next run finds that the portal knows the pending key
 * and rotates again from it, so the device is never left without a key the portal accepts.
 */
import {
  type CredentialRotationResponse,
  createNkeyPair,
  createRotationRequest,
  decodeUserJwt,
  keyPairFromSeed,
  ROTATE_PATH,
  ZCredentialRotationResponse,
} from "@edgewatt/nats/auth";
import { ZApiError } from "@edgewatt/protocol";
import { AgentError } from "../errors";
import { getIdentity, type Identity, writeIdentity } from "../state/identity";
import { describeBody, networkReason, parseJson } from "./enroll-device";

export interface RotateCredentialsOptions {
  stateDir: string;
  timeoutMs?: number;
  now?: () => Date;
}

export interface RotateCredentialsResult {
  identity: Identity;
  previousPublicKey: string;
  publicKey: string;
}

export async function rotateCredentials(opts: RotateCredentialsOptions): Promise<RotateCredentialsResult> {
  let identity = await getIdentity(opts.stateDir);
  const currentSeed = identity.natsUserSeed ?? identity.nats.credentials?.seed;
  if (!currentSeed) {
    throw new AgentError(
      "IDENTITY_INVALID",
      "this device's identity holds no NATS key of its own (it was enrolled by an older agent) — enroll it again with --force",
    );
  }
  const previousPublicKey = keyPairFromSeed("user", currentSeed, "the device's NATS seed").getPublicKey();

  // A pending key from an interrupted rotation is tried first: the portal may already have moved to it.
  const pending = identity.natsNextSeed;
  const next = pending ? { seed: pending } : { seed: createNkeyPair("user").seed };
  if (!pending) identity = await save(opts.stateDir, { ...identity, natsNextSeed: next.seed });

  let answer = await requestRotation(identity, currentSeed, next.seed, opts);
  let newSeed = next.seed;
  if (answer === "stale" && pending) {
    // The portal took the pending key last time: rotate again, from it, to a fresh one.
    const fresh = createNkeyPair("user").seed;
    identity = await save(opts.stateDir, { ...identity, natsUserSeed: pending, natsNextSeed: fresh });
    answer = await requestRotation(identity, pending, fresh, opts);
    newSeed = fresh;
  }
  if (answer === "stale") {
    throw new AgentError(
      "ENROLLMENT_REFUSED",
      `${identity.server} does not accept this device's NATS key any more (revoked, or rotated elsewhere) — enroll it again with --force`,
    );
  }
  const publicKey = keyPairFromSeed("user", newSeed, "the new NATS seed").getPublicKey();
  if (decodeUserJwt(answer.credentials.jwt).publicKey !== publicKey) {
    throw new AgentError(
      "NOT_A_PORTAL",
      `${identity.server} issued a JWT for another key than the one this device sent`,
    );
  }
  const { natsNextSeed: _done, ...rest } = identity;
  const updated = await save(opts.stateDir, {
    ...rest,
    natsUserSeed: newSeed,
    nats: { ...identity.nats, credentials: { jwt: answer.credentials.jwt, seed: newSeed } },
  });
  return { identity: updated, previousPublicKey, publicKey };
}

async function save(stateDir: string, identity: Identity): Promise<Identity> {
  await writeIdentity(stateDir, identity);
  return identity;
}

/** The portal's answer, or "stale" when it says the signing key is not the device's current one. */
async function requestRotation(
  identity: Identity,
  currentSeed: string,
  newSeed: string,
  opts: RotateCredentialsOptions,
): Promise<CredentialRotationResponse | "stale"> {
  const body = createRotationRequest({
    deviceId: identity.deviceId,
    currentSeed,
    newSeed,
    ...(opts.now ? { now: opts.now() } : {}),
  });
  const base = identity.server.replace(/\/+$/, "");
  let res: Response;
  try {
    res = await fetch(`${base}${ROTATE_PATH}`, {
      method: "POST",
      headers: { "content-type": "application/json", accept: "application/json" },
      body: JSON.stringify(body),
      signal: AbortSignal.timeout(opts.timeoutMs ?? 15_000),
    });
  } catch (cause) {
    throw new AgentError(
      "SERVER_UNREACHABLE",
      `cannot reach ${base} (${networkReason(cause)}) — is the portal running? Nothing was changed; run rotate again.`,
      { cause },
    );
  }
  const json = parseJson(await res.text().catch(() => ""));
  if (!res.ok) {
    const apiError = json === undefined ? null : ZApiError.safeParse(json);
    if (apiError?.success) {
      const { code, message } = apiError.data.error;
      if (code === "UNAUTHENTICATED") return "stale";
      throw new AgentError(
        "ENROLLMENT_REFUSED",
        `credential rotation refused by ${base}: ${message} [${code}]`,
      );
    }
    throw new AgentError(
      "NOT_A_PORTAL",
      `${base} does not look like an EdgeWatt portal (POST ${ROTATE_PATH} answered HTTP ${res.status} ${describeBody(res, json)})`,
    );
  }
  const parsed = ZCredentialRotationResponse.safeParse(json);
  if (!parsed.success) {
    throw new AgentError("NOT_A_PORTAL", `${base} answered the rotation with an unexpected body`);
  }
  return parsed.data;
}
