import { createEnergyPolicy, type Db, newId, writeAudit } from "@edgewatt/db";
import { type Actor, requireRole } from "../actor";
import { requireRunnableMode, rethrowNameTaken } from "./policy-errors";
import type { PolicyDraft } from "./policy-input";
import { type PolicyView, toPolicyView, toStoredConfig } from "./policy-view";

export interface CreatePolicyOptions {
  db: Db;
  actor: Actor;
  /** Validated at the boundary with ZPolicyDraft. */
  draft: PolicyDraft;
}

/** Creates an energy policy at version 1 (admins and owners). No group runs it until one is attached. */
export async function createPolicy(opts: CreatePolicyOptions): Promise<PolicyView> {
  const { db, actor, draft } = opts;
  requireRole(actor, "admin", "create energy policies");
  requireRunnableMode(draft);
  return db.transaction(async (tx) => {
    const row = await createEnergyPolicy(tx, {
      id: newId("pol"),
      orgId: actor.orgId,
      name: draft.name,
      description: draft.description,
      mode: draft.mode,
      config: toStoredConfig(draft.mode, draft),
    }).catch(rethrowNameTaken(draft.name));
    await writeAudit(tx, {
      orgId: actor.orgId,
      actorUserId: actor.userId,
      action: "policy.create",
      targetType: "energy_policy",
      targetId: row.id,
      details: { name: row.name, mode: row.mode, version: row.version, config: row.config },
    });
    return toPolicyView(row, []);
  });
}
