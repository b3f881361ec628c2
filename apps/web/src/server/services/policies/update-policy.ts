/**
 * Saves a new revision of a policy (version + 1) and republishes its artifact to KV POLICY for every group that
 * runs it, so agents whose deployment points at the group's key switch to the new revision live. The KV puts run
 * inside the transaction, last: if the broker refuses, the revision is not recorded and the user can retry.
 */
import {
  ConflictError,
  type Db,
  findDeviceGroupsByPolicy,
  getEnergyPolicy,
  updateEnergyPolicy,
  writeAudit,
} from "@edgewatt/db";
import type { NatsConnection } from "@edgewatt/nats";
import { ServiceError } from "../../errors";
import { type Actor, requireRole } from "../actor";
import { rethrowNotFound } from "../not-found";
import { toPolicyArtifact } from "./policy-artifact";
import { requireRunnableMode, rethrowNameTaken } from "./policy-errors";
import type { PolicyDraft } from "./policy-input";
import { type PolicyView, readPolicyPayload, toPolicyView, toStoredConfig } from "./policy-view";
import { groupPolicyPublisher } from "./publish-group-policy";

export interface UpdatePolicyOptions {
  db: Db;
  /** Connected only when a group runs the policy. */
  nats: () => Promise<NatsConnection>;
  actor: Actor;
  policyId: string;
  /** Validated at the boundary with ZPolicyDraft. */
  draft: PolicyDraft;
  /** The version the user edited; a save over someone else's newer revision is refused. */
  expectedVersion?: number;
}

export async function updatePolicy(opts: UpdatePolicyOptions): Promise<PolicyView> {
  const { db, actor, draft } = opts;
  requireRole(actor, "admin", "edit energy policies");
  requireRunnableMode(draft);
  const publisher = groupPolicyPublisher(opts.nats);
  return db.transaction(async (tx) => {
    const before = await getEnergyPolicy(tx, actor.orgId, opts.policyId).catch(
      rethrowNotFound(`Energy policy ${opts.policyId} does not exist in your organization.`),
    );
    const editedElsewhere = (version: number) =>
      new ServiceError(
        "CONFLICT",
        `Someone else saved "${before.name}" while you were editing it (it is now version ${version}); reload the page to see their changes, then edit again.`,
      );
    if (opts.expectedVersion !== undefined && before.version !== opts.expectedVersion) {
      throw editedElsewhere(before.version);
    }
    const config = toStoredConfig(draft.mode, draft);
    const row = await updateEnergyPolicy(
      tx,
      actor.orgId,
      before.id,
      { name: draft.name, description: draft.description, mode: draft.mode, config },
      { expectedVersion: before.version },
    ).catch((err: unknown) => {
      // A save that committed between our read and our write.
      if (err instanceof ConflictError && err.constraint === null) throw editedElsewhere(before.version + 1);
      return rethrowNameTaken(draft.name)(err);
    });
    const groups = await findDeviceGroupsByPolicy(tx, actor.orgId, row.id);
    await writeAudit(tx, {
      orgId: actor.orgId,
      actorUserId: actor.userId,
      action: "policy.update",
      targetType: "energy_policy",
      targetId: row.id,
      details: {
        name: row.name,
        mode: row.mode,
        version: row.version,
        previousVersion: before.version,
        changed: changedFields(before, row),
        config: row.config,
        publishedTo: groups.map((g) => g.id),
      },
    });
    await publisher.put(
      actor.orgId,
      groups.map((g) => g.id),
      toPolicyArtifact(row),
    );
    return toPolicyView(
      row,
      groups.map((g) => ({ id: g.id, name: g.name })),
    );
  });
}

type PolicyRow = Awaited<ReturnType<typeof getEnergyPolicy>>;

/** Dotted names of what the revision changed (`name`, `mode`, `rule.minFidelity`, `schedule.quietHours`…). */
function changedFields(before: PolicyRow, after: PolicyRow): string[] {
  const changed: string[] = [];
  if (before.name !== after.name) changed.push("name");
  if ((before.description ?? null) !== (after.description ?? null)) changed.push("description");
  if (before.mode !== after.mode) changed.push("mode");
  const a = readPolicyPayload(before);
  const b = readPolicyPayload(after);
  for (const section of ["static", "rule", "schedule"] as const) {
    const x = (a[section] ?? {}) as Record<string, unknown>;
    const y = (b[section] ?? {}) as Record<string, unknown>;
    for (const key of new Set([...Object.keys(x), ...Object.keys(y)])) {
      if (JSON.stringify(x[key]) !== JSON.stringify(y[key])) changed.push(`${section}.${key}`);
    }
  }
  return changed;
}
