import { type Db, findDevicesByOrg } from "@edgewatt/db";
import type { Actor } from "../actor";
import { type DeviceView, toDeviceView } from "./device-view";

export interface ListDevicesOptions {
  db: Db;
  actor: Actor;
  now?: Date;
}

/** The org's devices, newest first, with presence computed from their last heartbeat. */
export async function listDevices(opts: ListDevicesOptions): Promise<DeviceView[]> {
  const now = opts.now ?? new Date();
  const rows = await findDevicesByOrg(opts.db, opts.actor.orgId);
  return rows.map((d) => toDeviceView(d, now));
}
