import { type Db, findReportFilterOptions, type ReportFilterOptions } from "@edgewatt/db";
import { type Actor, requireRole } from "../actor";

export interface ListReportFiltersOptions {
  db: Db;
  actor: Actor;
}

/** The groups, devices and models of the actor's org a report can be filtered by. */
export async function listReportFilters(opts: ListReportFiltersOptions): Promise<ReportFilterOptions> {
  requireRole(opts.actor, "viewer", "read reports");
  return findReportFilterOptions(opts.db, opts.actor.orgId);
}
