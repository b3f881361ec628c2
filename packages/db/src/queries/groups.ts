import type { SchedulerMode } from "@edgewatt/protocol";
import { and, asc, count, eq, inArray, ne } from "drizzle-orm";
import type { Db } from "../client";
import { ConflictError, isUniqueViolation, NotFoundError } from "../errors";
import { newId } from "../ids";
import { deviceGroups, devices, energyPolicies } from "../schema";

export type DeviceGroup = typeof deviceGroups.$inferSelect;

/** A group with how many (not revoked) devices it holds and the policy attached to it. */
export type DeviceGroupSummary = DeviceGroup & {
  deviceCount: number;
  policy: { id: string; name: string; mode: SchedulerMode; version: number } | null;
};

function nameTaken(name: string, err: unknown): ConflictError {
  return new ConflictError(`a device group named "${name}" already exists`, "device_groups_org_name_uq", {
    cause: err,
  });
}

/** Throws ConflictError when the org already has a group of that name. */
export async function createDeviceGroup(
  db: Db,
  input: { id?: string; orgId: string; name: string; policyId?: string | null },
): Promise<DeviceGroup> {
  try {
    const [row] = await db
      .insert(deviceGroups)
      .values({ ...input, id: input.id ?? newId("grp") })
      .returning();
    return row!;
  } catch (err) {
    if (isUniqueViolation(err, "device_groups_org_name_uq")) throw nameTaken(input.name, err);
    throw err;
  }
}

export async function findDeviceGroupsByOrg(db: Db, orgId: string): Promise<DeviceGroup[]> {
  return db.select().from(deviceGroups).where(eq(deviceGroups.orgId, orgId)).orderBy(asc(deviceGroups.name));
}

/** The org's groups by name, each with its device count (revoked devices not counted) and policy. */
export async function findDeviceGroupSummaries(db: Db, orgId: string): Promise<DeviceGroupSummary[]> {
  const memberCounts = db
    .select({ groupId: devices.groupId, n: count().as("n") })
    .from(devices)
    .where(and(eq(devices.orgId, orgId), ne(devices.status, "revoked")))
    .groupBy(devices.groupId)
    .as("member_counts");
  const rows = await db
    .select({
      group: deviceGroups,
      deviceCount: memberCounts.n,
      policyId: energyPolicies.id,
      policyName: energyPolicies.name,
      policyMode: energyPolicies.mode,
      policyVersion: energyPolicies.version,
    })
    .from(deviceGroups)
    .leftJoin(memberCounts, eq(memberCounts.groupId, deviceGroups.id))
    .leftJoin(
      energyPolicies,
      and(eq(energyPolicies.id, deviceGroups.policyId), eq(energyPolicies.orgId, deviceGroups.orgId)),
    )
    .where(eq(deviceGroups.orgId, orgId))
    .orderBy(asc(deviceGroups.name));
  return rows.map((r) => ({
    ...r.group,
    deviceCount: Number(r.deviceCount ?? 0),
    policy:
      r.policyId !== null && r.policyName !== null && r.policyMode !== null && r.policyVersion !== null
        ? { id: r.policyId, name: r.policyName, mode: r.policyMode, version: r.policyVersion }
        : null,
  }));
}

/** The org's groups that run the given policy. */
export async function findDeviceGroupsByPolicy(
  db: Db,
  orgId: string,
  policyId: string,
): Promise<DeviceGroup[]> {
  return db
    .select()
    .from(deviceGroups)
    .where(and(eq(deviceGroups.orgId, orgId), eq(deviceGroups.policyId, policyId)))
    .orderBy(asc(deviceGroups.name));
}

export async function findDeviceGroup(db: Db, orgId: string, id: string): Promise<DeviceGroup | null> {
  const rows = await db
    .select()
    .from(deviceGroups)
    .where(and(eq(deviceGroups.orgId, orgId), eq(deviceGroups.id, id)))
    .limit(1);
  return rows[0] ?? null;
}

export async function getDeviceGroup(db: Db, orgId: string, id: string): Promise<DeviceGroup> {
  const group = await findDeviceGroup(db, orgId, id);
  if (!group) throw new NotFoundError("device group", id);
  return group;
}

/** Throws ConflictError for a name the org already uses, NotFoundError when the group is not in the org. */
export async function updateDeviceGroup(
  db: Db,
  orgId: string,
  id: string,
  patch: { name?: string; policyId?: string | null },
): Promise<DeviceGroup> {
  let row: DeviceGroup | undefined;
  try {
    [row] = await db
      .update(deviceGroups)
      .set(patch)
      .where(and(eq(deviceGroups.orgId, orgId), eq(deviceGroups.id, id)))
      .returning();
  } catch (err) {
    if (isUniqueViolation(err, "device_groups_org_name_uq")) throw nameTaken(patch.name ?? "", err);
    throw err;
  }
  if (!row) throw new NotFoundError("device group", id);
  return row;
}

/** How many devices (revoked ones not counted) are in the group. */
export async function countDevicesInGroup(db: Db, orgId: string, groupId: string): Promise<number> {
  const [row] = await db
    .select({ n: count() })
    .from(devices)
    .where(and(eq(devices.orgId, orgId), eq(devices.groupId, groupId), ne(devices.status, "revoked")));
  return Number(row?.n ?? 0);
}

/**
 * Deletes the group. Revoked devices and enrollment tokens that pointed at it lose the group, and its group
 * deployments go with it (foreign keys); the caller checks first that no live device is left in it.
 */
export async function deleteDeviceGroup(db: Db, orgId: string, id: string): Promise<DeviceGroup> {
  const [row] = await db
    .delete(deviceGroups)
    .where(and(eq(deviceGroups.orgId, orgId), eq(deviceGroups.id, id)))
    .returning();
  if (!row) throw new NotFoundError("device group", id);
  return row;
}

/**
 * Puts the devices into the group (null: into no group). Returns each device with the group it left, in the
 * order given; NotFoundError when any id is not a device of the org (nothing is moved then only if the caller
 * runs this in a transaction).
 */
export async function moveDevicesToGroup(
  db: Db,
  orgId: string,
  deviceIds: readonly string[],
  groupId: string | null,
): Promise<{ id: string; name: string; fromGroupId: string | null }[]> {
  if (deviceIds.length === 0) return [];
  const before = await db
    .select({ id: devices.id, name: devices.name, fromGroupId: devices.groupId })
    .from(devices)
    .where(and(eq(devices.orgId, orgId), inArray(devices.id, [...deviceIds])))
    .for("update");
  const byId = new Map(before.map((d) => [d.id, d]));
  const missing = deviceIds.find((id) => !byId.has(id));
  if (missing !== undefined) throw new NotFoundError("device", missing);
  await db
    .update(devices)
    .set({ groupId })
    .where(and(eq(devices.orgId, orgId), inArray(devices.id, [...deviceIds])));
  return [...new Set(deviceIds)].map((id) => byId.get(id)!);
}
