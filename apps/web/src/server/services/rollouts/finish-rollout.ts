/** A person's decision on a rollout in canary: promote it to every device of the group, or roll it back. */
import {
  type Db,
  findDevicesByOrg,
  findVariantsByModel,
  getDeviceGroup,
  getEnergyPolicy,
  getModel,
  getRollout,
  type Rollout,
  rollBackDeployments,
  updateRollout,
  writeAudit,
} from "@edgewatt/db";
import { type NatsConnection, restoreDeviceAssignments } from "@edgewatt/nats";
import { KV_BUCKETS } from "@edgewatt/protocol";
import { Kvm } from "@nats-io/kv";
import { ServiceError } from "../../errors";
import { type Actor, requireRole } from "../actor";
import { rethrowNotFound } from "../not-found";
import { deployToDevice, isReadyVariant, type RolloutPolicy } from "./rollout-assignments";

async function canaryRollout(db: Db, actor: Actor, rolloutId: string): Promise<Rollout> {
  const rollout = await getRollout(db, actor.orgId, rolloutId).catch(
    rethrowNotFound(`Rollout ${rolloutId} does not exist in your organization.`),
  );
  if (rollout.status !== "canary") {
    throw new ServiceError(
      "CONFLICT",
      `This rollout is ${rollout.status.replace("_", " ")}; only a canary can be promoted or rolled back.`,
    );
  }
  return rollout;
}

export async function promoteRollout(opts: {
  db: Db;
  nc: NatsConnection;
  actor: Actor;
  rolloutId: string;
  now?: Date;
}): Promise<Rollout> {
  const { db, nc, actor } = opts;
  requireRole(actor, "admin", "promote rollouts");
  const now = opts.now ?? new Date();
  return db.transaction(async (tx) => {
    const rollout = await canaryRollout(tx, actor, opts.rolloutId);
    // Claim it first: the canary guard cannot roll back what is being promoted.
    const claimed = await updateRollout(tx, actor.orgId, rollout.id, "canary", {
      status: "promoted",
      promotedAt: now,
    });
    if (!claimed)
      throw new ServiceError(
        "CONFLICT",
        "The rollout changed meanwhile (rolled back by the canary guard?); reload.",
      );
    const model = await getModel(tx, actor.orgId, rollout.modelId);
    const group = await getDeviceGroup(tx, actor.orgId, rollout.groupId);
    const ladder = (await findVariantsByModel(tx, actor.orgId, model.id)).filter(isReadyVariant);
    let policy: RolloutPolicy;
    if (rollout.policyId) {
      const energyPolicy = await getEnergyPolicy(tx, actor.orgId, rollout.policyId);
      policy = { kind: "group", mode: energyPolicy.mode, groupId: group.id, policyId: energyPolicy.id };
    } else {
      policy = { kind: "static", variantName: rollout.variantName };
    }
    const rest = (await findDevicesByOrg(tx, actor.orgId)).filter(
      (d) => d.groupId === group.id && d.status !== "revoked" && !rollout.canaryDeviceIds.includes(d.id),
    );
    const deploymentIds = { ...rollout.deploymentIds };
    const kv = await new Kvm(nc).open(KV_BUCKETS.deploy);
    for (const device of rest) {
      const deployment = await deployToDevice({
        tx,
        kv,
        orgId: actor.orgId,
        userId: actor.userId,
        model,
        ladder,
        deviceId: device.id,
        policy,
        now,
      });
      deploymentIds[device.id] = deployment.id;
    }
    const promoted = await updateRollout(tx, actor.orgId, rollout.id, "promoted", {
      deploymentIds,
      finishedAt: now,
    });
    await writeAudit(tx, {
      orgId: actor.orgId,
      actorUserId: actor.userId,
      action: "rollout.promote",
      targetType: "rollout",
      targetId: rollout.id,
      details: { devices: rest.map((d) => d.id), lastEvaluation: rollout.lastEvaluation },
    });
    return promoted ?? claimed;
  });
}

export async function rollBackRollout(opts: {
  db: Db;
  nc: NatsConnection;
  actor: Actor;
  rolloutId: string;
  reason?: string;
  now?: Date;
}): Promise<Rollout> {
  const { db, nc, actor } = opts;
  requireRole(actor, "admin", "roll back rollouts");
  const now = opts.now ?? new Date();
  return db.transaction(async (tx) => {
    const rollout = await canaryRollout(tx, actor, opts.rolloutId);
    const reason = `rolled back by a person${opts.reason ? `: ${opts.reason}` : ""}`;
    const claimed = await updateRollout(tx, actor.orgId, rollout.id, "canary", {
      status: "rolled_back",
      reason,
      finishedAt: now,
    });
    if (!claimed) throw new ServiceError("CONFLICT", "The rollout changed meanwhile; reload.");
    const reactivate = await restoreDeviceAssignments(
      nc,
      actor.orgId,
      rollout.previousAssignments,
      rollout.canaryDeviceIds,
    );
    await rollBackDeployments(tx, actor.orgId, Object.values(rollout.deploymentIds), reactivate);
    await writeAudit(tx, {
      orgId: actor.orgId,
      actorUserId: actor.userId,
      action: "rollout.rollback",
      targetType: "rollout",
      targetId: rollout.id,
      details: { reason, devices: rollout.canaryDeviceIds },
    });
    return claimed;
  });
}
