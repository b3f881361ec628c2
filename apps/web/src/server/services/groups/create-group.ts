import { createDeviceGroup, type Db, newId, writeAudit } from "@edgewatt/db";
import { type Actor, requireRole } from "../actor";
import { rethrowGroupNameTaken } from "./group-errors";
import type { GroupView } from "./group-view";

export interface CreateGroupOptions {
  db: Db;
  actor: Actor;
  /** Trimmed, 1..80 characters, validated at the boundary. */
  name: string;
}

/** Creates an empty device group without a policy (admins and owners). */
export async function createGroup(opts: CreateGroupOptions): Promise<GroupView> {
  const { db, actor } = opts;
  requireRole(actor, "admin", "create device groups");
  return db.transaction(async (tx) => {
    const group = await createDeviceGroup(tx, {
      id: newId("grp"),
      orgId: actor.orgId,
      name: opts.name,
    }).catch(rethrowGroupNameTaken(opts.name));
    await writeAudit(tx, {
      orgId: actor.orgId,
      actorUserId: actor.userId,
      action: "group.create",
      targetType: "device_group",
      targetId: group.id,
      details: { name: group.name },
    });
    return { id: group.id, name: group.name, deviceCount: 0, policy: null, createdAt: group.createdAt };
  });
}
