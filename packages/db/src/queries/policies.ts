import type { SchedulerMode } from "@edgewatt/protocol";
import { and, asc, eq, sql } from "drizzle-orm";
import type { Db } from "../client";
import { ConflictError, isUniqueViolation, NotFoundError } from "../errors";
import { newId } from "../ids";
import { type EnergyPolicyConfig, energyPolicies } from "../schema";

export type EnergyPolicy = typeof energyPolicies.$inferSelect;

function nameTaken(name: string, err: unknown): ConflictError {
  return new ConflictError(`an energy policy named "${name}" already exists`, "energy_policies_org_name_uq", {
    cause: err,
  });
}

/** Throws ConflictError when the org already has a policy of that name. */
export async function createEnergyPolicy(
  db: Db,
  input: {
    id?: string;
    orgId: string;
    name: string;
    mode: SchedulerMode;
    config: EnergyPolicyConfig;
    description?: string | null;
  },
): Promise<EnergyPolicy> {
  try {
    const [row] = await db
      .insert(energyPolicies)
      .values({ ...input, id: input.id ?? newId("pol") })
      .returning();
    return row!;
  } catch (err) {
    if (isUniqueViolation(err, "energy_policies_org_name_uq")) throw nameTaken(input.name, err);
    throw err;
  }
}

export async function findEnergyPoliciesByOrg(db: Db, orgId: string): Promise<EnergyPolicy[]> {
  return db
    .select()
    .from(energyPolicies)
    .where(eq(energyPolicies.orgId, orgId))
    .orderBy(asc(energyPolicies.name));
}

export async function getEnergyPolicy(db: Db, orgId: string, id: string): Promise<EnergyPolicy> {
  const rows = await db
    .select()
    .from(energyPolicies)
    .where(and(eq(energyPolicies.orgId, orgId), eq(energyPolicies.id, id)))
    .limit(1);
  if (!rows[0]) throw new NotFoundError("energy policy", id);
  return rows[0];
}

/**
 * Every edit is a new revision: `version` goes up by one and `updatedAt` moves. With `expectedVersion`, the
 * update only applies to that revision (ConflictError when someone else saved in between). Throws ConflictError
 * for a name the org already uses, NotFoundError when the policy is not in the org.
 */
export async function updateEnergyPolicy(
  db: Db,
  orgId: string,
  id: string,
  patch: { name?: string; mode?: SchedulerMode; config?: EnergyPolicyConfig; description?: string | null },
  options: { expectedVersion?: number } = {},
): Promise<EnergyPolicy> {
  let row: EnergyPolicy | undefined;
  try {
    [row] = await db
      .update(energyPolicies)
      .set({ ...patch, version: sql`${energyPolicies.version} + 1`, updatedAt: sql`now()` })
      .where(
        and(
          eq(energyPolicies.orgId, orgId),
          eq(energyPolicies.id, id),
          options.expectedVersion === undefined
            ? undefined
            : eq(energyPolicies.version, options.expectedVersion),
        ),
      )
      .returning();
  } catch (err) {
    if (isUniqueViolation(err, "energy_policies_org_name_uq")) throw nameTaken(patch.name ?? "", err);
    throw err;
  }
  if (row) return row;
  const current = await getEnergyPolicy(db, orgId, id);
  throw new ConflictError(
    `energy policy ${id} was changed by someone else (now version ${current.version}, you edited version ${options.expectedVersion})`,
    null,
  );
}

/** Deletes the policy; groups and deployments that used it lose it (ON DELETE SET NULL). */
export async function deleteEnergyPolicy(db: Db, orgId: string, id: string): Promise<EnergyPolicy> {
  const [row] = await db
    .delete(energyPolicies)
    .where(and(eq(energyPolicies.orgId, orgId), eq(energyPolicies.id, id)))
    .returning();
  if (!row) throw new NotFoundError("energy policy", id);
  return row;
}
