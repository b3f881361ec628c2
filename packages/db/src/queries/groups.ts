import { and, asc, eq } from "drizzle-orm";
import type { Db } from "../client";
import { ConflictError, isUniqueViolation, NotFoundError } from "../errors";
import { newId } from "../ids";
import { deviceGroups } from "../schema";

export type DeviceGroup = typeof deviceGroups.$inferSelect;

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
    if (isUniqueViolation(err, "device_groups_org_name_uq")) {
      throw new ConflictError(
        `a device group named "${input.name}" already exists`,
        "device_groups_org_name_uq",
        {
          cause: err,
        },
      );
    }
    throw err;
  }
}

export async function findDeviceGroupsByOrg(db: Db, orgId: string): Promise<DeviceGroup[]> {
  return db.select().from(deviceGroups).where(eq(deviceGroups.orgId, orgId)).orderBy(asc(deviceGroups.name));
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

export async function updateDeviceGroup(
  db: Db,
  orgId: string,
  id: string,
  patch: { name?: string; policyId?: string | null },
): Promise<DeviceGroup> {
  const [row] = await db
    .update(deviceGroups)
    .set(patch)
    .where(and(eq(deviceGroups.orgId, orgId), eq(deviceGroups.id, id)))
    .returning();
  if (!row) throw new NotFoundError("device group", id);
  return row;
}
