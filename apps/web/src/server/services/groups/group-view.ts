import type { DeviceGroupSummary } from "@edgewatt/db";
import type { SchedulerMode } from "@edgewatt/protocol";

/** What the portal shows about a device group. */
export interface GroupView {
  id: string;
  name: string;
  /** Devices in the group, revoked ones not counted. A group can be deleted only at 0. */
  deviceCount: number;
  policy: { id: string; name: string; mode: SchedulerMode; version: number } | null;
  createdAt: Date;
}

export function toGroupView(g: DeviceGroupSummary): GroupView {
  return { id: g.id, name: g.name, deviceCount: g.deviceCount, policy: g.policy, createdAt: g.createdAt };
}
