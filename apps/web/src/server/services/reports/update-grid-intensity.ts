import { type Db, setOrgGridIntensity, writeAudit } from "@edgewatt/db";
import { type Actor, requireRole } from "../actor";
import { getReportSettings, type ReportSettings } from "./get-report-settings";

export interface UpdateGridIntensityOptions {
  db: Db;
  actor: Actor;
  /** g CO2e per kWh (validated at the boundary); null goes back to the default. */
  gridIntensityGPerKwh: number | null;
}

/** Admins set the grid carbon intensity reports use for CO2e; audited in the same transaction. */
export async function updateGridIntensity(opts: UpdateGridIntensityOptions): Promise<ReportSettings> {
  const { db, actor } = opts;
  requireRole(actor, "admin", "change the grid carbon intensity of reports");
  await db.transaction(async (tx) => {
    const change = await setOrgGridIntensity(tx, actor.orgId, opts.gridIntensityGPerKwh);
    if (change.previous === change.current) return;
    await writeAudit(tx, {
      orgId: actor.orgId,
      actorUserId: actor.userId,
      action: "org.grid_intensity_change",
      targetType: "org",
      targetId: actor.orgId,
      details: { from: change.previous, to: change.current, unit: "gCO2e/kWh" },
    });
  });
  return getReportSettings({ db, actor });
}
