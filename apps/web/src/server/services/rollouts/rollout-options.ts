import {
  type Db,
  findDeviceGroupsByOrg,
  findDevicesByOrg,
  findModelsByOrg,
  findVariantsByModel,
} from "@edgewatt/db";
import type { Actor } from "../actor";
import { isReadyVariant } from "./rollout-assignments";

export interface RolloutOptions {
  models: Array<{ id: string; name: string; readyVariants: string[] }>;
  groups: Array<{ id: string; name: string; devices: number; hasPolicy: boolean }>;
}

/** What the "new rollout" form offers: models with ready variants, groups with their enrolled devices. */
export async function getRolloutOptions(opts: { db: Db; actor: Actor }): Promise<RolloutOptions> {
  const { db, actor } = opts;
  const [models, groups, devices] = await Promise.all([
    findModelsByOrg(db, actor.orgId),
    findDeviceGroupsByOrg(db, actor.orgId),
    findDevicesByOrg(db, actor.orgId),
  ]);
  const withVariants = await Promise.all(
    models.map(async (m) => ({
      id: m.id,
      name: m.name,
      readyVariants: (await findVariantsByModel(db, actor.orgId, m.id))
        .filter(isReadyVariant)
        .map((v) => v.name),
    })),
  );
  return {
    models: withVariants,
    groups: groups.map((g) => ({
      id: g.id,
      name: g.name,
      devices: devices.filter((d) => d.groupId === g.id && d.status !== "revoked").length,
      hasPolicy: g.policyId !== null,
    })),
  };
}
