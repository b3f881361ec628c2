import {
  type Db,
  findInvitationByTokenHash,
  findMembership,
  findUser,
  insertMembership,
  markInvitationAccepted,
  normalizeEmail,
  writeAudit,
} from "@edgewatt/db";
import type { Role } from "@edgewatt/protocol";
import { ServiceError } from "../../errors";
import { assertUsable, getUsableInvitation } from "./usable-invitation";

export interface AcceptInvitationOptions {
  db: Db;
  /** The signed-in user (from the session; they may belong to no org yet, e.g. after single sign-on). */
  userId: string;
  secret: string;
  now?: Date;
}

export interface AcceptedInvitation {
  orgId: string;
  orgName: string;
  role: Role;
}

/**
 * A signed-in user accepts an invitation addressed to their email: they join the org with the invited
 * role and the invitation is used up, in one transaction. Any other outcome changes nothing.
 */
export async function acceptInvitation(opts: AcceptInvitationOptions): Promise<AcceptedInvitation> {
  const { db } = opts;
  const now = opts.now ?? new Date();
  const user = await findUser(db, opts.userId);
  if (!user)
    throw new ServiceError("UNAUTHENTICATED", "You are not signed in; sign in and open the link again.");
  const invitation = await getUsableInvitation(db, opts.secret, now);
  if (normalizeEmail(user.email) !== normalizeEmail(invitation.email)) {
    throw new ServiceError(
      "FORBIDDEN",
      `This invitation is for ${invitation.email}, but you are signed in as ${user.email}. Sign out, then open the link again and sign in (or create an account) as ${invitation.email}.`,
    );
  }

  return db.transaction(async (tx) => {
    if (await findMembership(tx, invitation.orgId, user.id)) {
      throw new ServiceError(
        "CONFLICT",
        `You are already a member of ${invitation.orgName}; the invitation was left unused.`,
      );
    }
    const accepted = await markInvitationAccepted(tx, invitation.id, user.id, now);
    if (!accepted) {
      // Used, revoked or expired since it was read: say which.
      assertUsable(await findInvitationByTokenHash(tx, invitation.tokenHash), now);
      throw new ServiceError(
        "CONFLICT",
        "The invitation changed while you accepted it; open the link again.",
      );
    }
    await insertMembership(tx, { orgId: invitation.orgId, userId: user.id, role: invitation.role });
    await writeAudit(tx, {
      orgId: invitation.orgId,
      actorUserId: user.id,
      action: "invitation.accept",
      targetType: "invitation",
      targetId: invitation.id,
      details: { email: invitation.email, role: invitation.role, newAccount: false },
    });
    return { orgId: invitation.orgId, orgName: invitation.orgName, role: invitation.role };
  });
}
