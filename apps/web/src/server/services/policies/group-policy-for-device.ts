import { type Db, type Device, type EnergyPolicy, findDeviceGroup, getEnergyPolicy } from "@edgewatt/db";
import { kvKeys } from "@edgewatt/protocol";

/**
 * The policy a deployment to this device should follow: its group's, by KV POLICY key (so the agent picks up
 * later edits live), or null when the device is in no group or its group has no policy.
 */
export async function findGroupPolicyForDevice(
  db: Db,
  device: Pick<Device, "orgId" | "groupId">,
): Promise<{ policy: EnergyPolicy; key: string } | null> {
  if (!device.groupId) return null;
  const group = await findDeviceGroup(db, device.orgId, device.groupId);
  if (!group?.policyId) return null;
  const policy = await getEnergyPolicy(db, device.orgId, group.policyId);
  return { policy, key: kvKeys.groupPolicy(device.orgId, group.id) };
}
