import {
  type Db,
  findDeviceGroupsByOrg,
  findModelsByOrg,
  findRolloutsByOrg,
  type Rollout,
} from "@edgewatt/db";
import type { Actor } from "../actor";

export type RolloutListItem = Rollout & { modelName: string; groupName: string };

/** The org's rollouts, newest first (every member may read them). */
export async function listRollouts(opts: { db: Db; actor: Actor }): Promise<RolloutListItem[]> {
  const { db, actor } = opts;
  const [rollouts, models, groups] = await Promise.all([
    findRolloutsByOrg(db, actor.orgId),
    findModelsByOrg(db, actor.orgId),
    findDeviceGroupsByOrg(db, actor.orgId),
  ]);
  const modelName = new Map(models.map((m) => [m.id, m.name]));
  const groupName = new Map(groups.map((g) => [g.id, g.name]));
  return rollouts.map((r) => ({
    ...r,
    modelName: modelName.get(r.modelId) ?? r.modelId,
    groupName: groupName.get(r.groupId) ?? r.groupId,
  }));
}
