/**
 * What a rollout writes for one device: a device deployment row (superseding the device's previous one) and the
 * assignment in KV DEPLOY, carrying the model's ready ladder and either a static variant or the group's policy
 * (by its KV POLICY key, so later policy edits reach the device live).
 */
import {
  type Db,
  type Deployment,
  createDeployment as insertDeployment,
  type Model,
  newId,
} from "@edgewatt/db";
import {
  type DeploymentAssignment,
  encode,
  kvKeys,
  type SchedulerMode,
  ZDeploymentAssignment,
} from "@edgewatt/protocol";
import type { KV } from "@nats-io/kv";
import { type ReadyVariant, variantManifest } from "../deployments/ladder-manifest";

export { isReadyVariant, type ReadyVariant } from "../deployments/ladder-manifest";

export type RolloutPolicy =
  | { kind: "static"; variantName: string }
  | { kind: "group"; mode: SchedulerMode; groupId: string; policyId: string };

export async function deployToDevice(opts: {
  tx: Db;
  /** KV DEPLOY, opened once by the caller for all the devices it deploys to. */
  kv: KV;
  orgId: string;
  userId: string;
  model: Model;
  ladder: ReadyVariant[];
  deviceId: string;
  policy: RolloutPolicy;
  now: Date;
}): Promise<Deployment> {
  const { orgId, model, policy } = opts;
  const variantName = policy.kind === "static" ? policy.variantName : (opts.ladder[0]?.name ?? "fp32");
  const deployment = await insertDeployment(opts.tx, {
    id: newId("dep"),
    orgId,
    modelId: model.id,
    deviceId: opts.deviceId,
    variantName,
    policyId: policy.kind === "group" ? policy.policyId : null,
    createdBy: opts.userId,
  });
  const assignment: DeploymentAssignment = {
    deploymentId: deployment.id,
    orgId,
    deviceId: opts.deviceId,
    modelId: model.id,
    modelName: model.name,
    ladder: opts.ladder.map((v) => variantManifest(model, v)),
    policy:
      policy.kind === "static"
        ? { mode: "static", variant: policy.variantName }
        : { mode: policy.mode, key: kvKeys.groupPolicy(orgId, policy.groupId) },
    updatedAt: opts.now.getTime(),
  };
  await opts.kv.put(kvKeys.deviceAssignment(orgId, opts.deviceId), encode(ZDeploymentAssignment, assignment));
  return deployment;
}
