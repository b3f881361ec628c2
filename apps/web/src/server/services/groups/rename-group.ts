import { type Db, getDeviceGroup, updateDeviceGroup, writeAudit } from "@edgewatt/db";
import { type Actor, requireRole } from "../actor";
import { rethrowNotFound } from "../not-found";
import { rethrowGroupNameTaken } from "./group-errors";

export interface RenameGroupOptions {
  db: Db;
  actor: Actor;
  groupId: string;
  /** Trimmed, 1..80 characters, validated at the boundary. */
  name: string;
}

/** Renames a device group (admins and owners). Agents know groups by id, so nothing is republished. */
export async function renameGroup(opts: RenameGroupOptions): Promise<{ id: string; name: string }> {
  const { db, actor } = opts;
  requireRole(actor, "admin", "rename device groups");
  return db.transaction(async (tx) => {
    const before = await getDeviceGroup(tx, actor.orgId, opts.groupId).catch(
      rethrowNotFound(`Device group ${opts.groupId} does not exist in your organization.`),
    );
    const group = await updateDeviceGroup(tx, actor.orgId, before.id, { name: opts.name }).catch(
      rethrowGroupNameTaken(opts.name),
    );
    await writeAudit(tx, {
      orgId: actor.orgId,
      actorUserId: actor.userId,
      action: "group.rename",
      targetType: "device_group",
      targetId: group.id,
      details: { from: before.name, to: group.name },
    });
    return { id: group.id, name: group.name };
  });
}
