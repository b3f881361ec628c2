import { type Db, findDeviceGroupSummaries } from "@edgewatt/db";
import type { Actor } from "../actor";
import { type GroupView, toGroupView } from "./group-view";

export interface ListGroupsOptions {
  db: Db;
  actor: Actor;
}

/** The org's device groups by name, with device counts and attached policies. Every role may read them. */
export async function listGroups(opts: ListGroupsOptions): Promise<GroupView[]> {
  const rows = await findDeviceGroupSummaries(opts.db, opts.actor.orgId);
  return rows.map(toGroupView);
}
