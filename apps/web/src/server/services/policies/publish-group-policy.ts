/**
 * KV POLICY, one key per device group (`kvKeys.groupPolicy`): the artifact of the policy attached to the group.
 * Deployments to devices of that group point at the key, so agents follow every later edit live.
 */
import type { NatsConnection } from "@edgewatt/nats";
import { encode, KV_BUCKETS, kvKeys, type PolicyArtifact, ZPolicyArtifact } from "@edgewatt/protocol";
import { Kvm } from "@nats-io/kv";

export interface GroupPolicyPublisher {
  /** Writes the artifact under each group's key. */
  put(orgId: string, groupIds: readonly string[], artifact: PolicyArtifact): Promise<void>;
  /** Removes the group's key (agents keep running the last policy they read). */
  remove(orgId: string, groupId: string): Promise<void>;
}

/** Opens KV POLICY on first use only: changes that touch no group never need the broker. */
export function groupPolicyPublisher(nats: () => Promise<NatsConnection>): GroupPolicyPublisher {
  let kv: ReturnType<Kvm["open"]> | null = null;
  const open = () => {
    kv ??= nats().then((nc) => new Kvm(nc).open(KV_BUCKETS.policy));
    return kv;
  };
  return {
    async put(orgId, groupIds, artifact) {
      if (groupIds.length === 0) return;
      const bytes = encode(ZPolicyArtifact, artifact);
      const bucket = await open();
      for (const groupId of groupIds) await bucket.put(kvKeys.groupPolicy(orgId, groupId), bytes);
    },
    async remove(orgId, groupId) {
      const bucket = await open();
      await bucket.delete(kvKeys.groupPolicy(orgId, groupId));
    },
  };
}
