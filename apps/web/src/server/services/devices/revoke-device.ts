import { createNatsUserRevocation, type Db, revokeDevice as markRevoked, writeAudit } from "@edgewatt/db";
import type { NatsConnection } from "@edgewatt/nats";
import { KV_BUCKETS, kvKeys } from "@edgewatt/protocol";
import { Kvm } from "@nats-io/kv";
import { type Actor, requireWriter } from "../actor";
import type { NatsAuth } from "../nats-auth/nats-auth";
import { reissueAccountJwt } from "../nats-auth/reissue-account-jwt";
import { rethrowNotFound } from "../not-found";
import { type DeviceView, toDeviceView } from "./device-view";

export interface RevokeDeviceOptions {
  db: Db;
  nc: NatsConnection;
  actor: Actor;
  deviceId: string;
  /** Set when NATS runs in operator mode: the device's NATS user is revoked too. */
  natsAuth?: NatsAuth | null;
}

/**
 * Revokes a device: status `revoked` in the database and its deployment assignment removed from KV
 * DEPLOY (the agent sees the delete and stops). Both or neither: the KV delete runs inside the
 * transaction, so a broker outage leaves the device as it was and the user can retry.
 * With NATS in operator mode its user key is added to the account's revocations and the re-issued account JWT
 * is pushed inside the same transaction: the servers drop the device's connection and refuse it from then on.
 */
export async function revokeDevice(opts: RevokeDeviceOptions): Promise<DeviceView> {
  const { db, nc, actor } = opts;
  requireWriter(actor, "revoke devices");
  return db.transaction(async (tx) => {
    const device = await markRevoked(tx, actor.orgId, opts.deviceId).catch(
      rethrowNotFound(`Device ${opts.deviceId} does not exist in your organization.`),
    );
    const revokeNatsUser = Boolean(opts.natsAuth && device.natsPublicKey);
    await writeAudit(tx, {
      orgId: actor.orgId,
      actorUserId: actor.userId,
      action: "device.revoke",
      targetType: "device",
      targetId: device.id,
      details: { name: device.name, ...(revokeNatsUser ? { natsUser: device.natsPublicKey } : {}) },
    });
    const kv = await new Kvm(nc).open(KV_BUCKETS.deploy);
    await kv.delete(kvKeys.deviceAssignment(actor.orgId, device.id));
    if (opts.natsAuth && device.natsPublicKey) {
      await createNatsUserRevocation(tx, {
        userPublicKey: device.natsPublicKey,
        orgId: actor.orgId,
        deviceId: device.id,
        reason: "device-revoked",
      });
      await reissueAccountJwt(tx, opts.natsAuth);
    }
    return toDeviceView(device, new Date());
  });
}
