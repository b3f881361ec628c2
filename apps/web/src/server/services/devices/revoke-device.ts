import { type Db, revokeDevice as markRevoked, writeAudit } from "@edgewatt/db";
import type { NatsConnection } from "@edgewatt/nats";
import { KV_BUCKETS, kvKeys } from "@edgewatt/protocol";
import { Kvm } from "@nats-io/kv";
import { type Actor, requireWriter } from "../actor";
import { rethrowNotFound } from "../not-found";
import { type DeviceView, toDeviceView } from "./device-view";

export interface RevokeDeviceOptions {
  db: Db;
  nc: NatsConnection;
  actor: Actor;
  deviceId: string;
}

/**
 * Revokes a device: status `revoked` in the database and its deployment assignment removed from KV
 * DEPLOY (the agent sees the delete and stops). Both or neither: the KV delete runs inside the
 * transaction, so a broker outage leaves the device as it was and the user can retry.
 * In this no-auth NATS setup there are no per-device credentials to revoke yet.
 */
export async function revokeDevice(opts: RevokeDeviceOptions): Promise<DeviceView> {
  const { db, nc, actor } = opts;
  requireWriter(actor, "revoke devices");
  return db.transaction(async (tx) => {
    const device = await markRevoked(tx, actor.orgId, opts.deviceId).catch(
      rethrowNotFound(`Device ${opts.deviceId} does not exist in your organization.`),
    );
    await writeAudit(tx, {
      orgId: actor.orgId,
      actorUserId: actor.userId,
      action: "device.revoke",
      targetType: "device",
      targetId: device.id,
      details: { name: device.name },
    });
    const kv = await new Kvm(nc).open(KV_BUCKETS.deploy);
    await kv.delete(kvKeys.deviceAssignment(actor.orgId, device.id));
    return toDeviceView(device, new Date());
  });
}
