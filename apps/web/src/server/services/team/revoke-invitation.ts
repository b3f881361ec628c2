import { type Db, getInvitation, markInvitationRevoked, writeAudit } from "@edgewatt/db";
import { ServiceError } from "../../errors";
import { type Actor, requireRole } from "../actor";
import { rethrowNotFound } from "../not-found";
import { type InvitationView, toInvitationView } from "./invitation-view";

export interface RevokeInvitationOptions {
  db: Db;
  actor: Actor;
  invitationId: string;
  now?: Date;
}

/** Revokes a pending (or expired) invitation; revoking twice is a no-op. An accepted one cannot be revoked. */
export async function revokeInvitation(opts: RevokeInvitationOptions): Promise<InvitationView> {
  const { db, actor } = opts;
  requireRole(actor, "admin", "revoke invitations");
  const now = opts.now ?? new Date();
  return db.transaction(async (tx) => {
    const current = await getInvitation(tx, actor.orgId, opts.invitationId).catch(
      rethrowNotFound(`Invitation ${opts.invitationId} does not exist in your organization.`),
    );
    if (current.acceptedAt !== null) {
      throw new ServiceError(
        "CONFLICT",
        `The invitation for ${current.email} was already accepted; remove the member instead.`,
      );
    }
    if (current.revokedAt !== null) return toInvitationView(current, now);
    const revoked = await markInvitationRevoked(tx, actor.orgId, current.id, now);
    if (!revoked) {
      // Accepted or revoked between the read and the update: report how it ended.
      return toInvitationView(await getInvitation(tx, actor.orgId, current.id), now);
    }
    await writeAudit(tx, {
      orgId: actor.orgId,
      actorUserId: actor.userId,
      action: "invitation.revoke",
      targetType: "invitation",
      targetId: revoked.id,
      details: { email: revoked.email, role: revoked.role },
    });
    return toInvitationView(revoked, now);
  });
}
