/**
 * The org's signing key on the application account, created the first time one of its devices needs
 * credentials. Creating it re-issues and pushes the account JWT (the servers must trust the key before a device
 * JWT it signed can connect); if that push fails the key is not kept.
 */
import {
  createOrgNatsSigningKeyIfMissing,
  type Db,
  findOrgNatsSigningKey,
  type OrgSigningKey,
} from "@edgewatt/db";
import { createNkeyPair } from "@edgewatt/nats/auth";
import { ServiceError } from "../../errors";
import type { NatsAuth } from "./nats-auth";
import { reissueAccountJwt } from "./reissue-account-jwt";

export async function ensureOrgSigningKey(opts: {
  db: Db;
  auth: NatsAuth;
  orgId: string;
}): Promise<OrgSigningKey> {
  const { db, auth, orgId } = opts;
  const existing = await findOrgNatsSigningKey(db, auth.box, orgId);
  if (existing) return usable(existing);
  return db.transaction(async (tx) => {
    const key = await createOrgNatsSigningKeyIfMissing(tx, auth.box, { orgId, ...createNkeyPair("account") });
    await reissueAccountJwt(tx, auth);
    return usable(key);
  });
}

function usable(key: OrgSigningKey): OrgSigningKey {
  if (key.revokedAt) {
    throw new ServiceError(
      "FORBIDDEN",
      `This organization's NATS signing key was revoked at ${key.revokedAt.toISOString()}, so none of its devices can connect; ask the operator of this EdgeWatt deployment to re-key the organization.`,
    );
  }
  return key;
}
