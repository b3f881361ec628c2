import { type Db, findInvitationByTokenHash, type InvitationWithOrg } from "@edgewatt/db";
import { ServiceError } from "../../errors";
import { hashInvitationSecret } from "./invitation-secret";
import { invitationState } from "./invitation-view";

/**
 * The invitation behind a link secret if it can still be accepted; otherwise a ServiceError whose message
 * tells the visitor what happened and what to do (unknown, revoked, already used, expired).
 */
export async function getUsableInvitation(db: Db, secret: string, now: Date): Promise<InvitationWithOrg> {
  const invitation = await findInvitationByTokenHash(db, hashInvitationSecret(secret));
  assertUsable(invitation, now);
  return invitation;
}

export function assertUsable(
  invitation: InvitationWithOrg | null,
  now: Date,
): asserts invitation is InvitationWithOrg {
  if (!invitation) {
    throw new ServiceError(
      "TOKEN_UNKNOWN",
      "This invitation link is not valid. Check that you opened the whole link, or ask the person who invited you for a new one.",
    );
  }
  const org = invitation.orgName;
  switch (invitationState(invitation, now)) {
    case "accepted":
      throw new ServiceError(
        "TOKEN_EXHAUSTED",
        `This invitation to ${org} has already been used. If you accepted it, sign in; otherwise ask an admin of ${org} for a new invitation.`,
      );
    case "revoked":
      throw new ServiceError(
        "TOKEN_REVOKED",
        `This invitation to ${org} was revoked. Ask an admin of ${org} for a new one if you still need access.`,
      );
    case "expired":
      throw new ServiceError(
        "TOKEN_EXPIRED",
        `This invitation to ${org} expired on ${invitation.expiresAt.toISOString().slice(0, 10)}. Ask an admin of ${org} for a new one.`,
      );
    case "pending":
      return;
  }
}
