import { type Db, type DeploymentListItem, findDeploymentsByOrg } from "@edgewatt/db";
import type { Actor } from "../actor";

export interface ListDeploymentsOptions {
  db: Db;
  actor: Actor;
  activeOnly?: boolean;
}

/** The org's deployments, newest first, with model, device and group names. */
export async function listDeployments(opts: ListDeploymentsOptions): Promise<DeploymentListItem[]> {
  return findDeploymentsByOrg(opts.db, opts.actor.orgId, { activeOnly: opts.activeOnly ?? false });
}
