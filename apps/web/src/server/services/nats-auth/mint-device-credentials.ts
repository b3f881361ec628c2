/** A device's user JWT, signed with its org's signing key, for the public key the device sent. */
import type { Db } from "@edgewatt/db";
import { getNatsAuth } from "@edgewatt/db";
import { mintDeviceUser } from "@edgewatt/nats/auth";
import type { NatsAuth } from "./nats-auth";
import { ensureOrgSigningKey } from "./org-signing-key";

export async function mintDeviceCredentials(opts: {
  db: Db;
  auth: NatsAuth;
  orgId: string;
  deviceId: string;
  userPublicKey: string;
}): Promise<{ jwt: string }> {
  const { db, auth } = opts;
  const orgKey = await ensureOrgSigningKey({ db, auth, orgId: opts.orgId });
  const material = await getNatsAuth(db, auth.box);
  const jwt = await mintDeviceUser({
    accountPublicKey: material.account.publicKey,
    orgSigningKeySeed: orgKey.seed,
    orgId: opts.orgId,
    deviceId: opts.deviceId,
    userPublicKey: opts.userPublicKey,
  });
  return { jwt };
}
