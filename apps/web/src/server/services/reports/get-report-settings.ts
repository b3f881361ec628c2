import { type Db, findOrgGridIntensity } from "@edgewatt/db";
import { type Actor, hasRole, requireRole } from "../actor";
import { DEFAULT_GRID_INTENSITY_G_PER_KWH, MAX_GRID_INTENSITY_G_PER_KWH } from "./grid-intensity";

export interface GetReportSettingsOptions {
  db: Db;
  actor: Actor;
}

export interface ReportSettings {
  /** The org's grid carbon intensity (g CO2e/kWh), or null when reports use the default. */
  gridIntensityGPerKwh: number | null;
  defaultGridIntensityGPerKwh: number;
  maxGridIntensityGPerKwh: number;
  /** Admins and owners may change the setting. */
  canEdit: boolean;
}

/** The org's report settings; every member can read them. */
export async function getReportSettings(opts: GetReportSettingsOptions): Promise<ReportSettings> {
  requireRole(opts.actor, "viewer", "read report settings");
  return {
    gridIntensityGPerKwh: await findOrgGridIntensity(opts.db, opts.actor.orgId),
    defaultGridIntensityGPerKwh: DEFAULT_GRID_INTENSITY_G_PER_KWH,
    maxGridIntensityGPerKwh: MAX_GRID_INTENSITY_G_PER_KWH,
    canEdit: hasRole(opts.actor.role, "admin"),
  };
}
