import {
  ConflictError,
  createUserAccount,
  type Db,
  findInvitationByTokenHash,
  findUserByEmail,
  insertMembership,
  markInvitationAccepted,
  writeAudit,
} from "@edgewatt/db";
import { ServiceError } from "../../errors";
import { hashPassword } from "../auth/password";
import type { SignInLimiter } from "../auth/sign-in-limiter";
import type { AcceptedInvitation } from "./accept-invitation";
import { countSignUpAttempt } from "./sign-up-limiter";
import { assertUsable, getUsableInvitation } from "./usable-invitation";

export interface AcceptInvitationWithSignUpOptions {
  db: Db;
  limiter: SignInLimiter;
  ip: string;
  secret: string;
  name: string;
  /** MIN..MAX_PASSWORD_LENGTH, validated at the boundary. */
  password: string;
  now?: Date;
}

/**
 * A visitor without an account accepts an invitation: the account (for the invited email), the membership
 * and the used-up invitation are created together, or nothing is. Works even when sign-up is closed: the
 * invitation is the permission.
 */
export async function acceptInvitationWithSignUp(
  opts: AcceptInvitationWithSignUpOptions,
): Promise<AcceptedInvitation & { email: string; userId: string }> {
  const { db } = opts;
  const now = opts.now ?? new Date();
  countSignUpAttempt(opts.limiter, opts.ip);
  const invitation = await getUsableInvitation(db, opts.secret, now);
  if (await findUserByEmail(db, invitation.email)) throw accountExists(invitation.email);
  const passwordHash = await hashPassword(opts.password);

  return db.transaction(async (tx) => {
    const user = await createUserAccount(tx, {
      email: invitation.email,
      name: opts.name,
      passwordHash,
    }).catch((err: unknown) => {
      throw err instanceof ConflictError && err.constraint === "users_email_uq"
        ? accountExists(invitation.email, err)
        : err;
    });
    const accepted = await markInvitationAccepted(tx, invitation.id, user.id, now);
    if (!accepted) {
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
      action: "user.signup",
      targetType: "user",
      targetId: user.id,
      details: { email: user.email, ip: opts.ip, invitationId: invitation.id },
    });
    await writeAudit(tx, {
      orgId: invitation.orgId,
      actorUserId: user.id,
      action: "invitation.accept",
      targetType: "invitation",
      targetId: invitation.id,
      details: { email: invitation.email, role: invitation.role, newAccount: true },
    });
    return {
      orgId: invitation.orgId,
      orgName: invitation.orgName,
      role: invitation.role,
      email: user.email,
      userId: user.id,
    };
  });
}

function accountExists(email: string, cause?: unknown): ServiceError {
  return new ServiceError(
    "CONFLICT",
    `An account for ${email} already exists. Sign in with it to accept the invitation.`,
    { cause },
  );
}
