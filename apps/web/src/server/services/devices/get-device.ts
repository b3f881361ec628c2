import {
  type ActiveDeployment,
  type Db,
  type EnergySummaryRow,
  findActiveDeploymentForDevice,
  findDeviceEnergySummary,
  findRecentSamples,
  getDevice,
  type TelemetryRow,
} from "@edgewatt/db";
import type { Actor } from "../actor";
import { rethrowNotFound } from "../not-found";
import { type DeviceView, toDeviceView } from "./device-view";

export interface GetDeviceOptions {
  db: Db;
  actor: Actor;
  deviceId: string;
  /** How many recent samples to return (default 50). */
  sampleLimit?: number;
  now?: Date;
}

export interface DeviceDetail {
  device: DeviceView;
  deployment: ActiveDeployment | null;
  /** Per model, variant and energy source: never summed across sources. */
  energy: EnergySummaryRow[];
  recentSamples: TelemetryRow[];
}

export async function getDeviceDetail(opts: GetDeviceOptions): Promise<DeviceDetail> {
  const { db, actor } = opts;
  const now = opts.now ?? new Date();
  const device = await getDevice(db, actor.orgId, opts.deviceId).catch(
    rethrowNotFound(`Device ${opts.deviceId} does not exist in your organization; pick one from Devices.`),
  );
  const scope = { orgId: actor.orgId, deviceId: device.id };
  const [deployment, energy, recentSamples] = await Promise.all([
    findActiveDeploymentForDevice(db, actor.orgId, device.id),
    findDeviceEnergySummary(db, scope),
    findRecentSamples(db, { ...scope, limit: opts.sampleLimit ?? 50 }),
  ]);
  return { device: toDeviceView(device, now), deployment, energy, recentSamples };
}
