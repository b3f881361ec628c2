/**
 * Re-issues the application account JWT from the database's state (active org signing keys, revoked user
 * keys), stores it and pushes it to the NATS servers. Call it inside the transaction that changed that state:
 * it locks the trust-chain row, so re-issues are serial and each push carries everything committed before it,
 * and a failed push rolls the change back (the caller can retry; nothing is half-revoked).
 */
import {
  type Db,
  findActiveOrgNatsSigningKeys,
  findNatsRevocations,
  getNatsAuth,
  updateNatsAccountJwt,
} from "@edgewatt/db";
import { encodeAppAccountJwt, type Revocations } from "@edgewatt/nats/auth";
import type { NatsAuth } from "./nats-auth";

/**
 * A revoked key is never issued again, so its revocation covers JWTs issued up to an hour after it: a JWT
 * minted by a replica whose clock runs ahead of the database's is still covered.
 */
export const REVOCATION_SKEW_S = 3600;

export async function reissueAccountJwt(tx: Db, auth: NatsAuth): Promise<string> {
  const material = await getNatsAuth(tx, auth.box, { forUpdate: true });
  const signingKeys = await findActiveOrgNatsSigningKeys(tx);
  const revoked = await findNatsRevocations(tx);
  const revocations: Revocations = {};
  for (const [key, at] of Object.entries(revoked)) revocations[key] = at + REVOCATION_SKEW_S;
  const jwt = await encodeAppAccountJwt({
    operatorSeed: material.operator.seed,
    accountPublicKey: material.account.publicKey,
    signingKeys,
    revocations,
  });
  await updateNatsAccountJwt(tx, jwt);
  await auth.pushAccountJwt(jwt);
  return jwt;
}
