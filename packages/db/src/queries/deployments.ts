import { and, desc, eq, ne, or } from "drizzle-orm";
import type { Db } from "../client";
import { ConflictError, InvalidInputError, isUniqueViolation, NotFoundError } from "../errors";
import { newId } from "../ids";
import { deployments, deviceGroups, devices, models } from "../schema";
import { getDevice } from "./devices";
import { getDeviceGroup } from "./groups";
import { getModel } from "./models";
import { getEnergyPolicy } from "./policies";

export type Deployment = typeof deployments.$inferSelect;
/** A device's effective deployment and whether it targets the device itself or its group. */
export type ActiveDeployment = Deployment & { scope: "device" | "group" };
export type DeploymentListItem = Deployment & {
  modelName: string;
  deviceName: string | null;
  groupName: string | null;
};

export type CreateDeploymentInput = {
  id?: string;
  orgId: string;
  modelId: string;
  /** Exactly one of deviceId and groupId. */
  deviceId?: string | null;
  groupId?: string | null;
  policyId?: string | null;
  variantName: string;
  createdBy?: string | null;
};

/**
 * Creates an `active` deployment and marks the target's previous active deployment `superseded`, in one
 * transaction. Model, device/group and policy must belong to the org (NotFoundError otherwise).
 */
export async function createDeployment(db: Db, input: CreateDeploymentInput): Promise<Deployment> {
  const deviceId = input.deviceId ?? null;
  const groupId = input.groupId ?? null;
  if ((deviceId === null) === (groupId === null)) {
    throw new InvalidInputError("a deployment targets exactly one device or one device group");
  }
  try {
    return await db.transaction(async (tx) => {
      await getModel(tx, input.orgId, input.modelId);
      if (deviceId !== null) await getDevice(tx, input.orgId, deviceId);
      if (groupId !== null) await getDeviceGroup(tx, input.orgId, groupId);
      if (input.policyId) await getEnergyPolicy(tx, input.orgId, input.policyId);
      await tx
        .update(deployments)
        .set({ status: "superseded" })
        .where(
          and(
            eq(deployments.orgId, input.orgId),
            eq(deployments.status, "active"),
            deviceId !== null ? eq(deployments.deviceId, deviceId) : eq(deployments.groupId, groupId!),
          ),
        );
      const [row] = await tx
        .insert(deployments)
        .values({
          id: input.id ?? newId("dep"),
          orgId: input.orgId,
          modelId: input.modelId,
          deviceId,
          groupId,
          policyId: input.policyId ?? null,
          variantName: input.variantName,
          createdBy: input.createdBy ?? null,
        })
        .returning();
      return row!;
    });
  } catch (err) {
    if (isUniqueViolation(err)) {
      // Another deployment to the same target committed between our UPDATE and INSERT.
      throw new ConflictError("another deployment to this target was created at the same time; retry", null, {
        cause: err,
      });
    }
    throw err;
  }
}

export async function getDeployment(db: Db, orgId: string, id: string): Promise<Deployment> {
  const rows = await db
    .select()
    .from(deployments)
    .where(and(eq(deployments.orgId, orgId), eq(deployments.id, id)))
    .limit(1);
  if (!rows[0]) throw new NotFoundError("deployment", id);
  return rows[0];
}

/**
 * What the device should run: its own active deployment, else its group's, else null. Null also for
 * a device that does not exist in the org or is revoked.
 */
export async function findActiveDeploymentForDevice(
  db: Db,
  orgId: string,
  deviceId: string,
): Promise<ActiveDeployment | null> {
  const rows = await db
    .select({ deployment: deployments })
    .from(devices)
    .innerJoin(
      deployments,
      and(
        eq(deployments.orgId, devices.orgId),
        eq(deployments.status, "active"),
        or(eq(deployments.deviceId, devices.id), eq(deployments.groupId, devices.groupId)),
      ),
    )
    .where(and(eq(devices.orgId, orgId), eq(devices.id, deviceId), ne(devices.status, "revoked")))
    .limit(2);
  const own = rows.find((r) => r.deployment.deviceId === deviceId);
  if (own) return { ...own.deployment, scope: "device" };
  const group = rows[0];
  return group ? { ...group.deployment, scope: "group" } : null;
}

/** Newest first, with model, device and group names. */
export async function findDeploymentsByOrg(
  db: Db,
  orgId: string,
  options: { activeOnly?: boolean } = {},
): Promise<DeploymentListItem[]> {
  const rows = await db
    .select({
      deployment: deployments,
      modelName: models.name,
      deviceName: devices.name,
      groupName: deviceGroups.name,
    })
    .from(deployments)
    .innerJoin(models, eq(models.id, deployments.modelId))
    .leftJoin(devices, eq(devices.id, deployments.deviceId))
    .leftJoin(deviceGroups, eq(deviceGroups.id, deployments.groupId))
    .where(
      and(eq(deployments.orgId, orgId), options.activeOnly ? eq(deployments.status, "active") : undefined),
    )
    .orderBy(desc(deployments.createdAt), desc(deployments.id));
  return rows.map((r) => ({
    ...r.deployment,
    modelName: r.modelName,
    deviceName: r.deviceName,
    groupName: r.groupName,
  }));
}

/**
 * A rollback: the given deployments become `rolled_back` and the ones they superseded `active` again (each only
 * if it is not already replaced by something newer for its target).
 */
export async function rollBackDeployments(
  db: Db,
  orgId: string,
  rolledBack: readonly string[],
  reactivate: readonly string[],
): Promise<void> {
  await db.transaction(async (tx) => {
    for (const id of rolledBack) {
      await tx
        .update(deployments)
        .set({ status: "rolled_back" })
        .where(and(eq(deployments.orgId, orgId), eq(deployments.id, id), eq(deployments.status, "active")));
    }
    for (const id of reactivate) {
      await tx
        .update(deployments)
        .set({ status: "active" })
        .where(
          and(eq(deployments.orgId, orgId), eq(deployments.id, id), eq(deployments.status, "superseded")),
        );
    }
  });
}
