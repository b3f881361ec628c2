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
  type Variant,
} from "@edgewatt/db";
import type { NatsConnection } from "@edgewatt/nats";
import {
  type DeploymentAssignment,
  encode,
  KV_BUCKETS,
  kvKeys,
  OBJECT_BUCKETS,
  type SchedulerMode,
  type VariantManifest,
  ZDeploymentAssignment,
} from "@edgewatt/protocol";
import { Kvm } from "@nats-io/kv";

export type ReadyVariant = Variant & {
  status: "ready";
  objectName: string;
  sha256: string;
  sizeBytes: number;
};

export function isReadyVariant(v: Variant): v is ReadyVariant {
  return (
    v.status === "ready" &&
    v.objectName !== null &&
    v.sha256 !== null &&
    v.sizeBytes !== null &&
    v.sizeBytes > 0
  );
}

const positiveOrNull = (v: unknown) => (typeof v === "number" && Number.isFinite(v) && v > 0 ? v : null);

export function variantManifest(model: Model, v: ReadyVariant): VariantManifest {
  const fidelity = v.metrics.fidelity?.cosine;
  return {
    variantId: v.id,
    name: v.name,
    bucket: OBJECT_BUCKETS.models,
    objectName: v.objectName,
    sha256: v.sha256,
    sizeBytes: v.sizeBytes,
    passes: v.passes,
    inputs: model.inspection.inputs,
    outputs: model.inspection.outputs,
    fidelity:
      typeof fidelity === "number" && Number.isFinite(fidelity) ? Math.max(-1, Math.min(1, fidelity)) : null,
    energyJ: positiveOrNull(v.metrics.energyJPerInference),
    latencyMs: positiveOrNull(v.metrics.latencyMsP50),
  };
}

export type RolloutPolicy =
  | { kind: "static"; variantName: string }
  | { kind: "group"; mode: SchedulerMode; groupId: string; policyId: string };

export async function deployToDevice(opts: {
  tx: Db;
  nc: NatsConnection;
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
  const kv = await new Kvm(opts.nc).open(KV_BUCKETS.deploy);
  await kv.put(kvKeys.deviceAssignment(orgId, opts.deviceId), encode(ZDeploymentAssignment, assignment));
  return deployment;
}
