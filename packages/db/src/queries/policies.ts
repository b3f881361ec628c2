import type { SchedulerMode } from "@edgewatt/protocol";
import { and, asc, eq, sql } from "drizzle-orm";
import type { Db } from "../client";
import { ConflictError, isUniqueViolation, NotFoundError } from "../errors";
import { newId } from "../ids";
import { type EnergyPolicyConfig, energyPolicies } from "../schema";

export type EnergyPolicy = typeof energyPolicies.$inferSelect;

/** Throws ConflictError when the org already has a policy of that name. */
export async function createEnergyPolicy(
  db: Db,
  input: { id?: string; orgId: string; name: string; mode: SchedulerMode; config: EnergyPolicyConfig },
): Promise<EnergyPolicy> {
  try {
    const [row] = await db
      .insert(energyPolicies)
      .values({ ...input, id: input.id ?? newId("pol") })
      .returning();
    return row!;
  } catch (err) {
    if (isUniqueViolation(err, "energy_policies_org_name_uq")) {
      throw new ConflictError(
        `an energy policy named "${input.name}" already exists`,
        "energy_policies_org_name_uq",
        {
          cause: err,
        },
      );
    }
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

export async function updateEnergyPolicy(
  db: Db,
  orgId: string,
  id: string,
  patch: { name?: string; mode?: SchedulerMode; config?: EnergyPolicyConfig },
): Promise<EnergyPolicy> {
  const [row] = await db
    .update(energyPolicies)
    .set({ ...patch, updatedAt: sql`now()` })
    .where(and(eq(energyPolicies.orgId, orgId), eq(energyPolicies.id, id)))
    .returning();
  if (!row) throw new NotFoundError("energy policy", id);
  return row;
}
