import {
  type Db,
  findMembersByOrg,
  findPendingInvitationForEmail,
  insertInvitation,
  normalizeEmail,
  writeAudit,
} from "@edgewatt/db";
import type { Role } from "@edgewatt/protocol";
import { ServiceError } from "../../errors";
import { type Actor, hasRole, requireRole } from "../actor";
import { generateInvitationSecret, invitationUrl } from "./invitation-secret";
import { type InvitationView, toInvitationView } from "./invitation-view";

export const DEFAULT_INVITATION_DAYS = 7;
export const MAX_INVITATION_DAYS = 30;

export interface CreateInvitationOptions {
  db: Db;
  actor: Actor;
  email: string;
  role: Role;
  /** 1..30, validated at the boundary; default 7. */
  expiresInDays?: number;
  /** The portal's public origin, put into the link. */
  origin: string;
  now?: Date;
}

export interface CreatedInvitation {
  invitation: InvitationView;
  /** Shown once: only its sha256 is stored. */
  secret: string;
  /** `/invite/<secret>` on the portal: what the inviter sends to the invitee. */
  url: string;
}

/**
 * Admins and owners invite someone by email with a role no higher than their own. The link's secret is
 * returned once; the invitation is single-use and expires (default 7 days).
 */
export async function createInvitation(opts: CreateInvitationOptions): Promise<CreatedInvitation> {
  const { db, actor } = opts;
  requireRole(actor, "admin", "invite people");
  if (!hasRole(actor.role, opts.role)) {
    throw new ServiceError(
      "FORBIDDEN",
      `Your role (${actor.role}) cannot invite someone as ${opts.role}: nobody can grant a role above their own. Choose ${actor.role} or lower, or ask an owner.`,
    );
  }
  const now = opts.now ?? new Date();
  const email = normalizeEmail(opts.email);
  const days = opts.expiresInDays ?? DEFAULT_INVITATION_DAYS;
  const { secret, hash } = generateInvitationSecret();

  const row = await db.transaction(async (tx) => {
    const members = await findMembersByOrg(tx, actor.orgId);
    if (members.some((m) => normalizeEmail(m.email) === email)) {
      throw new ServiceError("CONFLICT", `${email} is already a member of your organization.`);
    }
    if (await findPendingInvitationForEmail(tx, actor.orgId, email, now)) {
      throw new ServiceError(
        "CONFLICT",
        `${email} already has a pending invitation. Revoke it first if you need a new link.`,
      );
    }
    const created = await insertInvitation(tx, {
      orgId: actor.orgId,
      email,
      role: opts.role,
      tokenHash: hash,
      invitedBy: actor.userId,
      expiresAt: new Date(now.getTime() + days * 86_400_000),
    });
    await writeAudit(tx, {
      orgId: actor.orgId,
      actorUserId: actor.userId,
      action: "invitation.create",
      targetType: "invitation",
      targetId: created.id,
      details: { email, role: opts.role, expiresAt: created.expiresAt.toISOString() },
    });
    return created;
  });
  return { invitation: toInvitationView(row, now), secret, url: invitationUrl(opts.origin, secret) };
}
