/**
 * KV DEPLOY writes shared by the portal and the worker: putting a device's assignment back to what it was (a
 * rollback), given the raw values saved before a rollout.
 */
import { decode, KV_BUCKETS, kvKeys, ZDeploymentAssignment } from "@edgewatt/protocol";
import { Kvm } from "@nats-io/kv";
import type { NatsConnection } from "@nats-io/transport-node";

/**
 * Writes each device's previous assignment (base64 of its KV value) back, or deletes the key when it had none.
 * Returns the deployment ids those previous assignments carried (to mark them active again).
 */
export async function restoreDeviceAssignments(
  nc: NatsConnection,
  orgId: string,
  previous: Readonly<Record<string, string | null>>,
  deviceIds: readonly string[],
): Promise<string[]> {
  const kv = await new Kvm(nc).open(KV_BUCKETS.deploy);
  const reactivate: string[] = [];
  for (const deviceId of deviceIds) {
    const key = kvKeys.deviceAssignment(orgId, deviceId);
    const value = previous[deviceId] ?? null;
    if (value === null) {
      await kv.delete(key);
      continue;
    }
    const bytes = new Uint8Array(Buffer.from(value, "base64"));
    const decoded = decode(ZDeploymentAssignment, bytes);
    if (decoded.ok) reactivate.push(decoded.value.deploymentId);
    await kv.put(key, bytes);
  }
  return reactivate;
}

/** Each device's current KV DEPLOY value as base64 (null when it has none), to restore later. */
export async function readDeviceAssignments(
  nc: NatsConnection,
  orgId: string,
  deviceIds: readonly string[],
): Promise<Record<string, string | null>> {
  const kv = await new Kvm(nc).open(KV_BUCKETS.deploy);
  const out: Record<string, string | null> = {};
  for (const deviceId of deviceIds) {
    const entry = await kv.get(kvKeys.deviceAssignment(orgId, deviceId));
    out[deviceId] =
      entry && entry.operation === "PUT" && entry.value.length > 0
        ? Buffer.from(entry.value).toString("base64")
        : null;
  }
  return out;
}
