import { countDevicesInGroup, type Db, deleteDeviceGroup, getDeviceGroup, writeAudit } from "@edgewatt/db";
import type { NatsConnection } from "@edgewatt/nats";
import { ServiceError } from "../../errors";
import { type Actor, requireRole } from "../actor";
import { rethrowNotFound } from "../not-found";
import { groupPolicyPublisher } from "../policies/publish-group-policy";

export interface DeleteGroupOptions {
  db: Db;
  /** Connected only when the group had a policy (its KV POLICY key is removed). */
  nats: () => Promise<NatsConnection>;
  actor: Actor;
  groupId: string;
}

/**
 * Deletes an empty device group (admins and owners). A group that still holds devices is refused with a message
 * saying how many and what to do. Its KV POLICY key is removed in the same transaction.
 */
export async function deleteGroup(opts: DeleteGroupOptions): Promise<{ id: string }> {
  const { db, actor } = opts;
  requireRole(actor, "admin", "delete device groups");
  return db.transaction(async (tx) => {
    const group = await getDeviceGroup(tx, actor.orgId, opts.groupId).catch(
      rethrowNotFound(`Device group ${opts.groupId} does not exist in your organization.`),
    );
    const members = await countDevicesInGroup(tx, actor.orgId, group.id);
    if (members > 0) {
      throw new ServiceError(
        "CONFLICT",
        `Group "${group.name}" still has ${members} ${members === 1 ? "device" : "devices"}; move ${members === 1 ? "it" : "them"} to another group (or to no group) first, then delete the group.`,
      );
    }
    await deleteDeviceGroup(tx, actor.orgId, group.id);
    await writeAudit(tx, {
      orgId: actor.orgId,
      actorUserId: actor.userId,
      action: "group.delete",
      targetType: "device_group",
      targetId: group.id,
      details: { name: group.name, policyId: group.policyId },
    });
    if (group.policyId) await groupPolicyPublisher(opts.nats).remove(actor.orgId, group.id);
    return { id: group.id };
  });
}
