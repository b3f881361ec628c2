/**
 * Attaches a policy to a device group (or detaches it with null). The policy's artifact is written to KV POLICY
 * under the group's key, where deployments to the group's devices point; detaching removes the key (agents keep
 * running the last policy they read until their next deployment). The KV write runs inside the transaction.
 */
import { type Db, getDeviceGroup, getEnergyPolicy, updateDeviceGroup, writeAudit } from "@edgewatt/db";
import type { NatsConnection } from "@edgewatt/nats";
import { kvKeys } from "@edgewatt/protocol";
import { type Actor, requireRole } from "../actor";
import { rethrowNotFound } from "../not-found";
import { toPolicyArtifact } from "../policies/policy-artifact";
import { groupPolicyPublisher } from "../policies/publish-group-policy";
import type { GroupView } from "./group-view";

export interface SetGroupPolicyOptions {
  db: Db;
  nats: () => Promise<NatsConnection>;
  actor: Actor;
  groupId: string;
  policyId: string | null;
}

export interface GroupPolicyResult {
  groupId: string;
  policy: GroupView["policy"];
  /** The KV POLICY key agents read the artifact from (null after detaching). */
  key: string | null;
}

export async function setGroupPolicy(opts: SetGroupPolicyOptions): Promise<GroupPolicyResult> {
  const { db, actor } = opts;
  requireRole(actor, "admin", "attach policies to device groups");
  const publisher = groupPolicyPublisher(opts.nats);
  return db.transaction(async (tx) => {
    const group = await getDeviceGroup(tx, actor.orgId, opts.groupId).catch(
      rethrowNotFound(`Device group ${opts.groupId} does not exist in your organization.`),
    );
    const policy = opts.policyId
      ? await getEnergyPolicy(tx, actor.orgId, opts.policyId).catch(
          rethrowNotFound(`Energy policy ${opts.policyId} does not exist in your organization.`),
        )
      : null;
    // Checked before anything is written: a learned policy without an artifact cannot be attached.
    const artifact = policy ? toPolicyArtifact(policy) : null;
    await updateDeviceGroup(tx, actor.orgId, group.id, { policyId: policy?.id ?? null });
    await writeAudit(tx, {
      orgId: actor.orgId,
      actorUserId: actor.userId,
      action: policy ? "group.policy.attach" : "group.policy.detach",
      targetType: "device_group",
      targetId: group.id,
      details: {
        name: group.name,
        previousPolicyId: group.policyId,
        policyId: policy?.id ?? null,
        policyVersion: policy?.version ?? null,
      },
    });
    if (artifact) await publisher.put(actor.orgId, [group.id], artifact);
    else if (group.policyId) await publisher.remove(actor.orgId, group.id);
    return {
      groupId: group.id,
      policy: policy
        ? { id: policy.id, name: policy.name, mode: policy.mode, version: policy.version }
        : null,
      key: policy ? kvKeys.groupPolicy(actor.orgId, group.id) : null,
    };
  });
}
