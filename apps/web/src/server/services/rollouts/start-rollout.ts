/**
 * Starts a staged rollout of a model to a device group: the canary share of its devices (at least one, chosen
 * by device id so the choice is reproducible) gets the model now; the rest keep what they run until the rollout
 * is promoted. Each canary device's previous assignment is kept for a rollback, and its recent energy per
 * inference and error rate become the baseline the worker's canary guard compares with.
 */
import {
  createRollout,
  type Db,
  findDevicesByOrg,
  findVariantsByModel,
  getDeviceGroup,
  getEnergyPolicy,
  getModel,
  isUniqueViolation,
  measureDevices,
  type Rollout,
  writeAudit,
} from "@edgewatt/db";
import { type NatsConnection, readDeviceAssignments } from "@edgewatt/nats";
import { KV_BUCKETS } from "@edgewatt/protocol";
import { Kvm } from "@nats-io/kv";
import { ServiceError } from "../../errors";
import { type Actor, requireRole } from "../actor";
import { rethrowNotFound } from "../not-found";
import { deployToDevice, isReadyVariant, type RolloutPolicy } from "./rollout-assignments";

/** How far back the baseline looks. */
export const BASELINE_WINDOW_MS = 24 * 60 * 60 * 1000;

export interface StartRolloutOptions {
  db: Db;
  nc: NatsConnection;
  actor: Actor;
  modelId: string;
  groupId: string;
  /** A static variant, or "group-policy" to run the group's energy policy. */
  variantName: string | "group-policy";
  canaryPct: number;
  maxErrorRate?: number;
  maxEnergyRegressionPct?: number;
  minCanarySamples?: number;
  now?: Date;
}

export async function startRollout(opts: StartRolloutOptions): Promise<Rollout> {
  const { db, nc, actor } = opts;
  requireRole(actor, "admin", "start rollouts");
  const now = opts.now ?? new Date();
  if (!(Number.isInteger(opts.canaryPct) && opts.canaryPct >= 1 && opts.canaryPct <= 100)) {
    throw new ServiceError("BAD_REQUEST", "The canary share must be a whole percentage from 1 to 100.");
  }
  try {
    return await db.transaction(async (tx) => {
      const model = await getModel(tx, actor.orgId, opts.modelId).catch(
        rethrowNotFound(`Model ${opts.modelId} does not exist in your organization.`),
      );
      const group = await getDeviceGroup(tx, actor.orgId, opts.groupId).catch(
        rethrowNotFound(`Device group ${opts.groupId} does not exist in your organization.`),
      );
      const ladder = (await findVariantsByModel(tx, actor.orgId, model.id)).filter(isReadyVariant);
      if (ladder.length === 0) {
        throw new ServiceError(
          "CONFLICT",
          `${model.name} has no ready variant yet; wait for its optimization job (or start one) before rolling it out.`,
        );
      }
      let policy: RolloutPolicy;
      if (opts.variantName === "group-policy") {
        if (!group.policyId) {
          throw new ServiceError(
            "CONFLICT",
            `Group "${group.name}" has no energy policy; attach one under Policies, or roll out a single variant.`,
          );
        }
        const energyPolicy = await getEnergyPolicy(tx, actor.orgId, group.policyId);
        policy = { kind: "group", mode: energyPolicy.mode, groupId: group.id, policyId: energyPolicy.id };
      } else {
        if (!ladder.some((v) => v.name === opts.variantName)) {
          throw new ServiceError(
            "BAD_REQUEST",
            `${model.name} has no ready variant "${opts.variantName}"; ready: ${ladder.map((v) => v.name).join(", ")}.`,
          );
        }
        policy = { kind: "static", variantName: opts.variantName };
      }
      const devices = (await findDevicesByOrg(tx, actor.orgId))
        .filter((d) => d.groupId === group.id && d.status !== "revoked")
        .sort((a, b) => a.id.localeCompare(b.id));
      if (devices.length === 0) {
        throw new ServiceError(
          "CONFLICT",
          `Group "${group.name}" has no enrolled devices; enroll devices into it before rolling out.`,
        );
      }
      const canary = devices.slice(0, Math.max(1, Math.ceil((devices.length * opts.canaryPct) / 100)));
      const canaryIds = canary.map((d) => d.id);
      const previousAssignments = await readDeviceAssignments(nc, actor.orgId, canaryIds);
      const baseline = await measureDevices(tx, actor.orgId, canaryIds, {
        from: new Date(now.getTime() - BASELINE_WINDOW_MS),
        to: now,
      });
      const deploymentIds: Record<string, string> = {};
      const kv = await new Kvm(nc).open(KV_BUCKETS.deploy);
      for (const id of canaryIds) {
        const deployment = await deployToDevice({
          tx,
          kv,
          orgId: actor.orgId,
          userId: actor.userId,
          model,
          ladder,
          deviceId: id,
          policy,
          now,
        });
        deploymentIds[id] = deployment.id;
      }
      const rollout = await createRollout(tx, {
        orgId: actor.orgId,
        modelId: model.id,
        groupId: group.id,
        policyId: policy.kind === "group" ? policy.policyId : null,
        variantName: policy.kind === "static" ? policy.variantName : "group-policy",
        canaryPct: opts.canaryPct,
        ...(opts.maxErrorRate !== undefined ? { maxErrorRate: opts.maxErrorRate } : {}),
        ...(opts.maxEnergyRegressionPct !== undefined
          ? { maxEnergyRegressionPct: opts.maxEnergyRegressionPct }
          : {}),
        ...(opts.minCanarySamples !== undefined ? { minCanarySamples: opts.minCanarySamples } : {}),
        canaryDeviceIds: canaryIds,
        previousAssignments,
        deploymentIds,
        baseline: baseline.samples > 0 ? baseline : null,
        createdBy: actor.userId,
        createdAt: now,
      });
      await writeAudit(tx, {
        orgId: actor.orgId,
        actorUserId: actor.userId,
        action: "rollout.start",
        targetType: "rollout",
        targetId: rollout.id,
        details: { modelId: model.id, groupId: group.id, canary: canaryIds, of: devices.length, policy },
      });
      return rollout;
    });
  } catch (err) {
    if (isUniqueViolation(err)) {
      throw new ServiceError(
        "CONFLICT",
        "This group already has a rollout in canary; promote it or roll it back before starting another.",
      );
    }
    throw err;
  }
}
