import { type Db, getDeviceGroup, moveDevicesToGroup, writeAudit } from "@edgewatt/db";
import { type Actor, requireRole } from "../actor";
import { rethrowNotFound } from "../not-found";

export interface MoveDevicesOptions {
  db: Db;
  actor: Actor;
  /** 1..500 distinct ids, validated at the boundary. */
  deviceIds: string[];
  /** Null: out of every group. */
  groupId: string | null;
}

/**
 * Moves devices into a group (admins and owners), all or none. A device's running deployment is not changed:
 * the group's policy applies from the device's next deployment.
 */
export async function moveDevices(
  opts: MoveDevicesOptions,
): Promise<{ moved: number; groupId: string | null }> {
  const { db, actor } = opts;
  requireRole(actor, "admin", "move devices between groups");
  return db.transaction(async (tx) => {
    const group = opts.groupId
      ? await getDeviceGroup(tx, actor.orgId, opts.groupId).catch(
          rethrowNotFound(`Device group ${opts.groupId} does not exist in your organization.`),
        )
      : null;
    const moved = await moveDevicesToGroup(tx, actor.orgId, opts.deviceIds, group?.id ?? null).catch(
      rethrowNotFound(
        "One of these devices does not exist in your organization; reload the page and try again.",
      ),
    );
    for (const device of moved) {
      if (device.fromGroupId === (group?.id ?? null)) continue;
      await writeAudit(tx, {
        orgId: actor.orgId,
        actorUserId: actor.userId,
        action: "device.move",
        targetType: "device",
        targetId: device.id,
        details: { name: device.name, fromGroupId: device.fromGroupId, toGroupId: group?.id ?? null },
      });
    }
    return {
      moved: moved.filter((d) => d.fromGroupId !== (group?.id ?? null)).length,
      groupId: group?.id ?? null,
    };
  });
}
