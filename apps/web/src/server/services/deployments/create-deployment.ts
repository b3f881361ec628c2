/**
 * Deploys a model to one device with a `static` policy on one variant, or, when the device's group has a
 * policy, with that policy by its KV POLICY key (the agent follows later edits live): validates that the variant is
 * ready, writes the deployment row (superseding the device's previous one) and puts the assignment
 * (the whole ready ladder as variant manifests) into KV DEPLOY under the device's key, where the agent
 * watches for it. The KV put runs inside the transaction: if the broker refuses, nothing is recorded.
 */
import {
  type Db,
  type Deployment,
  findVariantsByModel,
  getDevice,
  getModel,
  createDeployment as insertDeployment,
  newId,
  writeAudit,
} from "@edgewatt/db";
import type { NatsConnection } from "@edgewatt/nats";
import {
  type DeploymentAssignment,
  encode,
  KV_BUCKETS,
  kvKeys,
  ZDeploymentAssignment,
} from "@edgewatt/protocol";
import { Kvm } from "@nats-io/kv";
import { ServiceError } from "../../errors";
import { type Actor, requireWriter } from "../actor";
import { rethrowNotFound } from "../not-found";
import { findGroupPolicyForDevice } from "../policies/group-policy-for-device";
import { isReadyVariant as isReady, variantManifest as toManifest } from "./ladder-manifest";

export interface CreateDeploymentOptions {
  db: Db;
  nc: NatsConnection;
  actor: Actor;
  modelId: string;
  deviceId: string;
  variantName: string;
  now?: Date;
}

export interface CreatedDeployment {
  deployment: Deployment;
  assignment: DeploymentAssignment;
}

export async function createDeployment(opts: CreateDeploymentOptions): Promise<CreatedDeployment> {
  const { db, nc, actor } = opts;
  requireWriter(actor, "deploy models");
  const now = opts.now ?? new Date();
  const kv = await new Kvm(nc).open(KV_BUCKETS.deploy);

  return db.transaction(async (tx) => {
    const model = await getModel(tx, actor.orgId, opts.modelId).catch(
      rethrowNotFound(`Model ${opts.modelId} does not exist in your organization.`),
    );
    const device = await getDevice(tx, actor.orgId, opts.deviceId).catch(
      rethrowNotFound(`Device ${opts.deviceId} does not exist in your organization.`),
    );
    if (device.status === "revoked") {
      throw new ServiceError(
        "CONFLICT",
        `Device "${device.name}" was revoked; enroll it again with a new token before deploying to it.`,
      );
    }
    const variants = await findVariantsByModel(tx, actor.orgId, model.id);
    const ready = variants.filter(isReady);
    const chosen = ready.find((v) => v.name === opts.variantName);
    if (!chosen) {
      const known = variants.find((v) => v.name === opts.variantName);
      const readyNames = ready.map((v) => v.name).join(", ") || "none yet";
      throw new ServiceError(
        known ? "CONFLICT" : "BAD_REQUEST",
        known
          ? `Variant "${opts.variantName}" of ${model.name} is ${known.status}${known.error ? ` (${known.error})` : ""}; deploy a ready variant (${readyNames}).`
          : `${model.name} has no variant named "${opts.variantName}"; ready variants: ${readyNames}.`,
      );
    }

    // A device in a group with a policy follows that policy through its KV POLICY key (edits apply live).
    const groupPolicy = await findGroupPolicyForDevice(tx, device);
    const deployment = await insertDeployment(tx, {
      id: newId("dep"),
      orgId: actor.orgId,
      modelId: model.id,
      deviceId: device.id,
      policyId: groupPolicy?.policy.id ?? null,
      variantName: chosen.name,
      createdBy: actor.userId,
    });
    const assignment: DeploymentAssignment = {
      deploymentId: deployment.id,
      orgId: actor.orgId,
      deviceId: device.id,
      modelId: model.id,
      modelName: model.name,
      ladder: ready.map((v) => toManifest(model, v)),
      policy: groupPolicy
        ? { mode: groupPolicy.policy.mode, key: groupPolicy.key }
        : { mode: "static", variant: chosen.name },
      updatedAt: now.getTime(),
    };
    await writeAudit(tx, {
      orgId: actor.orgId,
      actorUserId: actor.userId,
      action: "deployment.create",
      targetType: "deployment",
      targetId: deployment.id,
      details: {
        modelId: model.id,
        deviceId: device.id,
        variantName: chosen.name,
        ladder: ready.map((v) => v.name),
        ...(groupPolicy ? { policyId: groupPolicy.policy.id, policyKey: groupPolicy.key } : {}),
      },
    });
    await kv.put(kvKeys.deviceAssignment(actor.orgId, device.id), encode(ZDeploymentAssignment, assignment));
    return { deployment, assignment };
  });
}
