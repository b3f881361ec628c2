import { type Db, findInvitationsByOrg } from "@edgewatt/db";
import { type Actor, requireRole } from "../actor";
import { type InvitationState, type InvitationView, toInvitationView } from "./invitation-view";

export interface ListInvitationsOptions {
  db: Db;
  actor: Actor;
  /** Only invitations in this state; all when omitted. */
  state?: InvitationState;
  now?: Date;
}

/** The org's invitations, newest first, without their hashes. Admins and owners only. */
export async function listInvitations(opts: ListInvitationsOptions): Promise<InvitationView[]> {
  requireRole(opts.actor, "admin", "see invitations");
  const now = opts.now ?? new Date();
  const views = (await findInvitationsByOrg(opts.db, opts.actor.orgId)).map((i) => toInvitationView(i, now));
  return opts.state ? views.filter((v) => v.state === opts.state) : views;
}
