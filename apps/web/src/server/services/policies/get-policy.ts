import { type Db, findDeviceGroupsByPolicy, getEnergyPolicy } from "@edgewatt/db";
import type { Actor } from "../actor";
import { rethrowNotFound } from "../not-found";
import { type PolicyView, toPolicyView } from "./policy-view";

export interface GetPolicyOptions {
  db: Db;
  actor: Actor;
  policyId: string;
}

/** One policy of the org with the groups that run it; NOT_FOUND for another org's id. */
export async function getPolicy(opts: GetPolicyOptions): Promise<PolicyView> {
  const { db, actor } = opts;
  const policy = await getEnergyPolicy(db, actor.orgId, opts.policyId).catch(
    rethrowNotFound(`Energy policy ${opts.policyId} does not exist in your organization.`),
  );
  const groups = await findDeviceGroupsByPolicy(db, actor.orgId, policy.id);
  return toPolicyView(
    policy,
    groups.map((g) => ({ id: g.id, name: g.name })),
  );
}
