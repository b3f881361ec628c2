import {
  type Db,
  deleteEnergyPolicy,
  findDeviceGroupsByPolicy,
  getEnergyPolicy,
  writeAudit,
} from "@edgewatt/db";
import { ServiceError } from "../../errors";
import { type Actor, requireRole } from "../actor";
import { rethrowNotFound } from "../not-found";

export interface DeletePolicyOptions {
  db: Db;
  actor: Actor;
  policyId: string;
}

/** Deletes a policy that no group runs (admins and owners); a policy in use must be detached first. */
export async function deletePolicy(opts: DeletePolicyOptions): Promise<{ id: string }> {
  const { db, actor } = opts;
  requireRole(actor, "admin", "delete energy policies");
  return db.transaction(async (tx) => {
    const policy = await getEnergyPolicy(tx, actor.orgId, opts.policyId).catch(
      rethrowNotFound(`Energy policy ${opts.policyId} does not exist in your organization.`),
    );
    const groups = await findDeviceGroupsByPolicy(tx, actor.orgId, policy.id);
    if (groups.length > 0) {
      const names = groups.map((g) => `"${g.name}"`).join(", ");
      throw new ServiceError(
        "CONFLICT",
        `Policy "${policy.name}" is attached to ${groups.length === 1 ? "group" : "groups"} ${names}; attach another policy to ${groups.length === 1 ? "it" : "them"} (or none) first, then delete it.`,
      );
    }
    await deleteEnergyPolicy(tx, actor.orgId, policy.id);
    await writeAudit(tx, {
      orgId: actor.orgId,
      actorUserId: actor.userId,
      action: "policy.delete",
      targetType: "energy_policy",
      targetId: policy.id,
      details: { name: policy.name, mode: policy.mode, version: policy.version },
    });
    return { id: policy.id };
  });
}
