import { type Db, findUserByEmail } from "@edgewatt/db";
import type { Role } from "@edgewatt/protocol";
import { getUsableInvitation } from "./usable-invitation";

export interface DescribeInvitationOptions {
  db: Db;
  /** From the link; whoever holds it may see what it invites to. */
  secret: string;
  now?: Date;
}

/** What the accept page shows about a usable invitation. */
export interface InvitationPreview {
  orgName: string;
  email: string;
  role: Role;
  expiresAt: Date;
  invitedBy: string | null;
  /** An account with the invited email exists: the page offers "sign in to accept" first. */
  hasAccount: boolean;
}

/**
 * The invitation behind a link, for the accept page. Throws TOKEN_UNKNOWN / TOKEN_REVOKED / TOKEN_EXHAUSTED /
 * TOKEN_EXPIRED with the message to show when it cannot be accepted.
 */
export async function describeInvitation(opts: DescribeInvitationOptions): Promise<InvitationPreview> {
  const invitation = await getUsableInvitation(opts.db, opts.secret, opts.now ?? new Date());
  return {
    orgName: invitation.orgName,
    email: invitation.email,
    role: invitation.role,
    expiresAt: invitation.expiresAt,
    invitedBy: invitation.invitedByName ?? invitation.invitedByEmail,
    hasAccount: (await findUserByEmail(opts.db, invitation.email)) !== null,
  };
}
