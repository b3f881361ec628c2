import {
  ConflictError,
  createOrgWithOwner,
  type Db,
  findUserByEmail,
  normalizeEmail,
  writeAudit,
} from "@edgewatt/db";
import { ServiceError } from "../../errors";
import { hashPassword } from "../auth/password";
import type { SignInLimiter } from "../auth/sign-in-limiter";
import { countSignUpAttempt } from "./sign-up-limiter";

export interface SignUpOptions {
  db: Db;
  /** EDGEWATT_SIGNUP. */
  signup: "open" | "closed";
  limiter: SignInLimiter;
  /** Client address, for the limiter ("unknown" when the server cannot tell). */
  ip: string;
  name: string;
  email: string;
  /** MIN..MAX_PASSWORD_LENGTH, validated at the boundary. */
  password: string;
  orgName: string;
}

export interface SignedUp {
  userId: string;
  email: string;
  orgId: string;
  orgName: string;
}

/**
 * Self-service sign-up: a new user, a new org and the user's owner membership, with audit records, all in
 * one transaction. A taken email creates nothing.
 */
export async function signUp(opts: SignUpOptions): Promise<SignedUp> {
  const { db } = opts;
  if (opts.signup === "closed") {
    throw new ServiceError(
      "FORBIDDEN",
      "Sign-up is closed on this portal. Ask an admin of your organization to invite you.",
    );
  }
  countSignUpAttempt(opts.limiter, opts.ip);
  const email = normalizeEmail(opts.email);
  // Checked again (by the unique index) inside the transaction; this spares the password hash.
  if (await findUserByEmail(db, email)) throw emailTaken(email);
  const passwordHash = await hashPassword(opts.password);

  try {
    return await db.transaction(async (tx) => {
      const { org, user } = await createOrgWithOwner(tx, {
        name: opts.orgName,
        email,
        passwordHash,
        userName: opts.name,
      });
      await writeAudit(tx, {
        orgId: org.id,
        actorUserId: user.id,
        action: "user.signup",
        targetType: "user",
        targetId: user.id,
        details: { email, ip: opts.ip },
      });
      await writeAudit(tx, {
        orgId: org.id,
        actorUserId: user.id,
        action: "org.create",
        targetType: "org",
        targetId: org.id,
        details: { name: org.name, slug: org.slug },
      });
      return { userId: user.id, email: user.email, orgId: org.id, orgName: org.name };
    });
  } catch (err) {
    if (err instanceof ConflictError && err.constraint === "users_email_uq") throw emailTaken(email, err);
    throw err;
  }
}

function emailTaken(email: string, cause?: unknown): ServiceError {
  return new ServiceError(
    "CONFLICT",
    `An account with ${email} already exists. Sign in instead, or sign up with another email.`,
    { cause },
  );
}
