/**
 * Credential rotation proof. The agent asks for a new user JWT for a new key pair it generated, and proves two
 * things in one request: that it holds the device's current key (signature by the current seed) and that it
 * holds the new one (signature by the new seed, so nobody can have a JWT minted for a key they do not own).
 * Both sign the same statement, which names the device, both keys and the time. A replay is harmless: once the
 * rotation succeeds the old key is no longer the device's current key, and the time bounds the window.
 */

import { fromPublic } from "@nats-io/nkeys";
import { z } from "zod";
import { EdgewattNatsError } from "../errors";
import { keyPairFromSeed, parsePublicKey } from "./keys";

export const ROTATE_PATH = "/api/agent/rotate";

const UserKey = z.string().regex(/^U[A-Z2-7]{55}$/, "a NATS user public key (U…)");
const Signature = z.string().regex(/^[A-Za-z0-9_-]{86}$/, "an ed25519 signature, base64url");

export const ZCredentialRotationRequest = z.object({
  deviceId: z.string().regex(/^[A-Za-z0-9_-]{1,128}$/),
  currentPublicKey: UserKey,
  newPublicKey: UserKey,
  /** Epoch milliseconds when the agent signed. */
  issuedAt: z.number().int().nonnegative(),
  /** By the current key, over `rotationStatement(...)`. */
  signature: Signature,
  /** By the new key, over the same statement. */
  newKeySignature: Signature,
});
export type CredentialRotationRequest = z.infer<typeof ZCredentialRotationRequest>;

export const ZCredentialRotationResponse = z.object({
  deviceId: z.string(),
  /** The new user JWT; the agent pairs it with the seed it generated. */
  credentials: z.object({ jwt: z.string().min(1) }),
});
export type CredentialRotationResponse = z.infer<typeof ZCredentialRotationResponse>;

/** How far the signing time may be from the server's clock. */
export const ROTATION_MAX_SKEW_MS = 5 * 60_000;

export function rotationStatement(
  r: Pick<CredentialRotationRequest, "deviceId" | "currentPublicKey" | "newPublicKey" | "issuedAt">,
): Uint8Array {
  return new TextEncoder().encode(
    `edgewatt.rotate.v1\n${r.deviceId}\n${r.currentPublicKey}\n${r.newPublicKey}\n${r.issuedAt}`,
  );
}

/** Builds the signed request on the device, from its current seed and the new one. */
export function createRotationRequest(opts: {
  deviceId: string;
  currentSeed: string;
  newSeed: string;
  now?: Date;
}): CredentialRotationRequest {
  const current = keyPairFromSeed("user", opts.currentSeed, "the device's current NATS seed");
  const next = keyPairFromSeed("user", opts.newSeed, "the device's new NATS seed");
  const body = {
    deviceId: opts.deviceId,
    currentPublicKey: current.getPublicKey(),
    newPublicKey: next.getPublicKey(),
    issuedAt: (opts.now ?? new Date()).getTime(),
  };
  const statement = rotationStatement(body);
  return {
    ...body,
    signature: Buffer.from(current.sign(statement)).toString("base64url"),
    newKeySignature: Buffer.from(next.sign(statement)).toString("base64url"),
  };
}

/**
 * Checks a rotation request on the server against the device's current public key. Throws
 * ROTATION_PROOF_INVALID with the reason; returns the new public key.
 */
export function verifyRotationRequest(
  req: CredentialRotationRequest,
  expected: { deviceId: string; currentPublicKey: string; now?: Date },
): string {
  const fail = (why: string) => new EdgewattNatsError("ROTATION_PROOF_INVALID", why);
  if (req.deviceId !== expected.deviceId) throw fail("the request names another device");
  if (req.currentPublicKey !== expected.currentPublicKey) {
    throw fail("the request is not signed with the device's current NATS key (was it already rotated?)");
  }
  if (req.newPublicKey === req.currentPublicKey) throw fail("the new key is the current key");
  const now = (expected.now ?? new Date()).getTime();
  if (Math.abs(now - req.issuedAt) > ROTATION_MAX_SKEW_MS) {
    throw fail(
      `the request was signed at ${new Date(req.issuedAt).toISOString()}, more than ${ROTATION_MAX_SKEW_MS / 60_000} minutes from the server's clock; check the device's clock`,
    );
  }
  const statement = rotationStatement(req);
  const verify = (key: string, sig: string, which: string) => {
    const kp = fromPublic(parsePublicKey("user", key, `the ${which} key`));
    if (!kp.verify(statement, new Uint8Array(Buffer.from(sig, "base64url")))) {
      throw fail(`the signature by the ${which} key does not verify`);
    }
  };
  verify(req.currentPublicKey, req.signature, "current");
  verify(req.newPublicKey, req.newKeySignature, "new");
  return req.newPublicKey;
}
