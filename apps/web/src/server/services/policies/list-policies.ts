import { type Db, findDeviceGroupsByOrg, findEnergyPoliciesByOrg } from "@edgewatt/db";
import type { Actor } from "../actor";
import { type PolicyView, toPolicyView } from "./policy-view";

export interface ListPoliciesOptions {
  db: Db;
  actor: Actor;
}

/** The org's energy policies by name, each with the groups that run it. Every role may read them. */
export async function listPolicies(opts: ListPoliciesOptions): Promise<PolicyView[]> {
  const { db, actor } = opts;
  const [policies, groups] = await Promise.all([
    findEnergyPoliciesByOrg(db, actor.orgId),
    findDeviceGroupsByOrg(db, actor.orgId),
  ]);
  return policies.map((p) =>
    toPolicyView(
      p,
      groups.filter((g) => g.policyId === p.id).map((g) => ({ id: g.id, name: g.name })),
    ),
  );
}
