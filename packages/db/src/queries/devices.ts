import type { Heartbeat } from "@edgewatt/protocol";
import { and, desc, eq, isNull, lt, lte, ne, or, sql } from "drizzle-orm";
import type { Db } from "../client";
import { NotFoundError } from "../errors";
import { newId } from "../ids";
import { type DevicePlatform, deviceGroups, devices } from "../schema";

export type Device = typeof devices.$inferSelect;
export type DeviceWithGroup = Device & { groupName: string | null };

export type CreateDeviceInput = {
  id?: string;
  orgId: string;
  groupId: string | null;
  name: string;
  platform: DevicePlatform;
  meters: string[];
  agentVersion: string | null;
  natsPublicKey?: string | null;
  enrollmentTokenId: string | null;
};

export async function createDevice(db: Db, input: CreateDeviceInput): Promise<Device> {
  const [row] = await db
    .insert(devices)
    .values({ ...input, id: input.id ?? newId("dev") })
    .returning();
  return row!;
}

/** Newest first, with the group's name. Revoked devices are included (status `revoked`). */
export async function findDevicesByOrg(db: Db, orgId: string): Promise<DeviceWithGroup[]> {
  const rows = await db
    .select({ device: devices, groupName: deviceGroups.name })
    .from(devices)
    .leftJoin(deviceGroups, eq(deviceGroups.id, devices.groupId))
    .where(eq(devices.orgId, orgId))
    .orderBy(desc(devices.createdAt), desc(devices.id));
  return rows.map((r) => ({ ...r.device, groupName: r.groupName }));
}

export async function findDevice(db: Db, orgId: string, id: string): Promise<Device | null> {
  const rows = await db
    .select()
    .from(devices)
    .where(and(eq(devices.orgId, orgId), eq(devices.id, id)))
    .limit(1);
  return rows[0] ?? null;
}

export async function getDevice(db: Db, orgId: string, id: string): Promise<Device> {
  const device = await findDevice(db, orgId, id);
  if (!device) throw new NotFoundError("device", id);
  return device;
}

export async function updateDevice(
  db: Db,
  orgId: string,
  id: string,
  patch: { name?: string; groupId?: string | null },
): Promise<Device> {
  const [row] = await db
    .update(devices)
    .set(patch)
    .where(and(eq(devices.orgId, orgId), eq(devices.id, id)))
    .returning();
  if (!row) throw new NotFoundError("device", id);
  return row;
}

/**
 * Stores the device's latest heartbeat and marks it online. Scoped by the heartbeat's org; ignores
 * revoked devices and heartbeats older than the one stored (redelivered or out of order). Returns
 * whether the device row changed.
 */
export async function recordHeartbeat(
  db: Db,
  deviceId: string,
  heartbeat: Heartbeat,
  seenAt: Date,
): Promise<boolean> {
  const rows = await db
    .update(devices)
    .set({
      lastHeartbeat: heartbeat,
      lastSeenAt: seenAt,
      status: "online",
      agentVersion: heartbeat.agentVersion,
    })
    .where(
      and(
        eq(devices.id, deviceId),
        eq(devices.orgId, heartbeat.orgId),
        ne(devices.status, "revoked"),
        or(isNull(devices.lastSeenAt), lte(devices.lastSeenAt, seenAt)),
      ),
    )
    .returning({ id: devices.id });
  return rows.length > 0;
}

/** Devices `online` but silent since `cutoff` become `offline`; returns how many changed. */
export async function markSilentDevicesOffline(db: Db, cutoff: Date): Promise<number> {
  const rows = await db
    .update(devices)
    .set({ status: "offline" })
    .where(and(eq(devices.status, "online"), lt(devices.lastSeenAt, cutoff)))
    .returning({ id: devices.id });
  return rows.length;
}

/** Revokes the device (idempotent). Its credentials must be revoked in NATS by the caller. */
export async function revokeDevice(db: Db, orgId: string, id: string): Promise<Device> {
  const [row] = await db
    .update(devices)
    .set({ status: "revoked", revokedAt: sql`coalesce(${devices.revokedAt}, now())` })
    .where(and(eq(devices.orgId, orgId), eq(devices.id, id)))
    .returning();
  if (!row) throw new NotFoundError("device", id);
  return row;
}
