import type { Device, DeviceWithGroup } from "@edgewatt/db";
import type { EnergySource, PowerState } from "@edgewatt/protocol";

/** A device counts as online while its last heartbeat is younger than this. */
export const ONLINE_WINDOW_MS = 30_000;

export type DevicePresence = "online" | "offline" | "never-seen" | "revoked";

export interface DeviceView {
  id: string;
  name: string;
  groupId: string | null;
  groupName: string | null;
  presence: DevicePresence;
  lastSeenAt: Date | null;
  agentVersion: string | null;
  platform: Device["platform"];
  meters: string[];
  /** The meter the agent reports with (from its last heartbeat). */
  meter: EnergySource | null;
  batteryPct: number | null;
  powerState: PowerState | null;
  currentModelId: string | null;
  currentVariant: string | null;
  outboxDepth: number | null;
  createdAt: Date;
  revokedAt: Date | null;
}

export function presenceOf(device: Pick<Device, "status" | "lastSeenAt">, now: Date): DevicePresence {
  if (device.status === "revoked") return "revoked";
  if (!device.lastSeenAt) return "never-seen";
  return now.getTime() - device.lastSeenAt.getTime() < ONLINE_WINDOW_MS ? "online" : "offline";
}

export function toDeviceView(d: Device & Partial<Pick<DeviceWithGroup, "groupName">>, now: Date): DeviceView {
  const hb = d.lastHeartbeat;
  return {
    id: d.id,
    name: d.name,
    groupId: d.groupId,
    groupName: d.groupName ?? null,
    presence: presenceOf(d, now),
    lastSeenAt: d.lastSeenAt,
    agentVersion: d.agentVersion,
    platform: d.platform,
    meters: d.meters,
    meter: hb?.meter ?? null,
    batteryPct: hb?.state.batteryPct ?? null,
    powerState: hb?.state.powerState ?? null,
    currentModelId: hb?.modelId ?? null,
    currentVariant: hb?.variant ?? null,
    outboxDepth: hb?.outboxDepth ?? null,
    createdAt: d.createdAt,
    revokedAt: d.revokedAt,
  };
}
