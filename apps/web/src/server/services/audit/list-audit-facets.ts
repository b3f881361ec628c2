import { type AuditFacets, type Db, findAuditFacets } from "@edgewatt/db";
import { type Actor, requireRole } from "../actor";

/** The actions, target types and acting users in the org's log, for the audit browser's filters. */
export async function listAuditFacets(opts: { db: Db; actor: Actor }): Promise<AuditFacets> {
  requireRole(opts.actor, "admin", "view the audit log");
  return findAuditFacets(opts.db, opts.actor.orgId);
}
