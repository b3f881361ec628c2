/**
 * Which org a session acts in. Sign-in picks the user's oldest membership; the session can be moved to
 * another org the user belongs to (after accepting an invitation, or from the team page). The session's
 * org is re-checked against the memberships table on every request (services/auth/resolve-actor.ts).
 */
import { type Db, findMembershipsForUser } from "@edgewatt/db";
import type { SessionClaims } from "../../auth/config";
import { ServiceError } from "../../errors";

export interface SessionOrgOptions {
  db: Db;
  userId: string;
  /** The org to act in; the oldest membership when null. */
  orgId: string | null;
}

/** The claims for acting in an org, or null when the user belongs to no org at all. */
export async function findSessionOrg(opts: SessionOrgOptions): Promise<SessionClaims | null> {
  const memberships = await findMembershipsForUser(opts.db, opts.userId);
  const membership = opts.orgId === null ? memberships[0] : memberships.find((m) => m.orgId === opts.orgId);
  if (!membership) return null;
  return {
    userId: opts.userId,
    orgId: membership.orgId,
    orgName: membership.org.name,
    role: membership.role,
  };
}

/** Like findSessionOrg for a chosen org, but FORBIDDEN when the user is not a member of it. */
export async function switchSessionOrg(opts: SessionOrgOptions & { orgId: string }): Promise<SessionClaims> {
  const claims = await findSessionOrg(opts);
  if (!claims) {
    throw new ServiceError(
      "FORBIDDEN",
      "You are not a member of that organization (any more); ask one of its admins to invite you.",
    );
  }
  return claims;
}
