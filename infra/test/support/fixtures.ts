/** What an enrolled device with a deployment looks like, built directly (no portal): identity, manifest, assignment. */
import type { Identity } from "@edgewatt/edge-agent";
import {
  type DeploymentAssignment,
  encode,
  KV_BUCKETS,
  kvKeys,
  OBJECT_BUCKETS,
  subjects,
  type TensorSpec,
  type VariantManifest,
  ZDeploymentAssignment,
} from "@edgewatt/protocol";

/** The NAB Conv1d autoencoder's interface (samples/models/nab-conv-autoencoder.onnx). */
export const AUTOENCODER_IO: { inputs: TensorSpec[]; outputs: TensorSpec[] } = {
  inputs: [{ name: "window", elemType: "float32", shape: ["batch", 1, 64] }],
  outputs: [{ name: "reconstruction", elemType: "float32", shape: ["batch", 1, 64] }],
};

export function deviceIdentity(opts: {
  orgId: string;
  deviceId: string;
  natsUrl: string;
  name: string;
}): Identity {
  const { orgId, deviceId } = opts;
  return {
    deviceId,
    orgId,
    deviceName: opts.name,
    groupId: null,
    nats: { servers: [opts.natsUrl] },
    buckets: { deploy: KV_BUCKETS.deploy, policy: KV_BUCKETS.policy, models: OBJECT_BUCKETS.models },
    assignmentKey: kvKeys.deviceAssignment(orgId, deviceId),
    subjects: {
      telemetry: subjects.telemetryEnergy(orgId, deviceId),
      heartbeat: subjects.heartbeat(orgId, deviceId),
      prefix: subjects.devicePrefix(orgId, deviceId),
    },
    server: "http://127.0.0.1:3000",
    enrolledAt: new Date().toISOString(),
    agentVersion: "0.0.0",
  };
}

export function variantManifest(
  name: string,
  object: { name: string; sha256: string; sizeBytes: number },
  io: { inputs: TensorSpec[]; outputs: TensorSpec[] },
): VariantManifest {
  return {
    variantId: `var_${name.replace(/[^A-Za-z0-9]/g, "")}`,
    name,
    bucket: OBJECT_BUCKETS.models,
    objectName: object.name,
    sha256: object.sha256,
    sizeBytes: object.sizeBytes,
    passes: [],
    ...io,
    fidelity: null,
    energyJ: null,
    latencyMs: null,
  };
}

export function assignmentBytes(a: Omit<DeploymentAssignment, "updatedAt">): Uint8Array {
  return encode(ZDeploymentAssignment, { ...a, updatedAt: Date.now() });
}
