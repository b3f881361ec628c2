/**
 * Sign-in with email and password: the limiter, the password check (constant time, same cost for
 * unknown emails), the active org (first membership) and an audit record.
 */
import {
  type Db,
  findMembershipsForUser,
  findUserByEmail,
  normalizeEmail,
  updateUserPasswordHash,
  writeAudit,
} from "@edgewatt/db";
import type { Role } from "@edgewatt/protocol";
import { ServiceError } from "../../errors";
import { hashPassword, needsRehash, verifyAgainstDummy, verifyPassword } from "./password";
import { SignInLimiter } from "./sign-in-limiter";

export interface AuthenticateUserOptions {
  db: Db;
  limiter: SignInLimiter;
  email: string;
  password: string;
  /** Client address, for the limiter key ("unknown" when the server cannot tell). */
  ip: string;
}

export interface AuthenticatedUser {
  userId: string;
  email: string;
  name: string | null;
  orgId: string;
  orgName: string;
  role: Role;
}

export async function authenticateUser(opts: AuthenticateUserOptions): Promise<AuthenticatedUser> {
  const { db, limiter } = opts;
  const email = normalizeEmail(opts.email);
  const key = SignInLimiter.key(email, opts.ip);
  const decision = limiter.check(key);
  if (!decision.allowed) {
    const minutes = Math.max(1, Math.ceil(decision.retryAfterMs / 60_000));
    throw new ServiceError(
      "RATE_LIMITED",
      `Too many failed sign-in attempts for ${email}. Wait ${minutes} minute${minutes === 1 ? "" : "s"} and try again.`,
    );
  }

  const user = await findUserByEmail(db, email);
  const ok = user?.passwordHash
    ? await verifyPassword(opts.password, user.passwordHash)
    : await verifyAgainstDummy(opts.password);
  if (!user || !ok) {
    limiter.recordFailure(key);
    throw new ServiceError("INVALID_CREDENTIALS", "The email or password is incorrect.");
  }

  const [membership] = await findMembershipsForUser(db, user.id);
  if (!membership) {
    throw new ServiceError(
      "FORBIDDEN",
      "Your account does not belong to any organization yet; ask an admin to add you, then sign in again.",
    );
  }
  limiter.reset(key);

  if (user.passwordHash && needsRehash(user.passwordHash)) {
    await updateUserPasswordHash(db, user.id, await hashPassword(opts.password));
  }
  await writeAudit(db, {
    orgId: membership.orgId,
    actorUserId: user.id,
    action: "user.signin",
    targetType: "user",
    targetId: user.id,
    details: { ip: opts.ip },
  });
  return {
    userId: user.id,
    email: user.email,
    name: user.name,
    orgId: membership.orgId,
    orgName: membership.org.name,
    role: membership.role,
  };
}
