/**
 * Team queries: invitations (whose link secret is stored only as a sha256 hash), memberships with their
 * users, and accounts created from an invitation. Every org-scoped function takes the org id first and
 * filters by it.
 */
import type { Role } from "@edgewatt/protocol";
import { and, asc, desc, eq, gt, inArray, isNull, sql } from "drizzle-orm";
import { alias } from "drizzle-orm/pg-core";
import type { Db } from "../client";
import { ConflictError, isUniqueViolation, NotFoundError } from "../errors";
import { newId } from "../ids";
import { invitations, memberships, orgs, users } from "../schema";
import { normalizeEmail, type User } from "./users";

export type Invitation = typeof invitations.$inferSelect;

/** An invitation with the people around it, for the team page. */
export type InvitationWithPeople = Invitation & {
  invitedByEmail: string | null;
  acceptedByEmail: string | null;
};

/** An invitation found by its secret, with the org it is for (the accept page shows both). */
export type InvitationWithOrg = Invitation & {
  orgName: string;
  invitedByName: string | null;
  invitedByEmail: string | null;
};

export type Member = {
  userId: string;
  email: string;
  name: string | null;
  role: Role;
  joinedAt: Date;
};

export type UserSummary = { id: string; email: string; name: string | null };

export async function insertInvitation(
  db: Db,
  input: {
    orgId: string;
    email: string;
    role: Role;
    tokenHash: string;
    invitedBy: string;
    expiresAt: Date;
  },
): Promise<Invitation> {
  const [row] = await db
    .insert(invitations)
    .values({ id: newId("inv"), ...input, email: normalizeEmail(input.email) })
    .returning();
  return row!;
}

/** The org's invitations, newest first, with the inviter's and the acceptor's emails. */
export async function findInvitationsByOrg(db: Db, orgId: string): Promise<InvitationWithPeople[]> {
  const inviter = alias(users, "inviter");
  const acceptor = alias(users, "acceptor");
  const rows = await db
    .select({
      invitation: invitations,
      invitedByEmail: inviter.email,
      acceptedByEmail: acceptor.email,
    })
    .from(invitations)
    .leftJoin(inviter, eq(inviter.id, invitations.invitedBy))
    .leftJoin(acceptor, eq(acceptor.id, invitations.acceptedBy))
    .where(eq(invitations.orgId, orgId))
    .orderBy(desc(invitations.createdAt), desc(invitations.id));
  return rows.map((r) => ({
    ...r.invitation,
    invitedByEmail: r.invitedByEmail,
    acceptedByEmail: r.acceptedByEmail,
  }));
}

/** Throws NotFoundError when the invitation does not exist in this org. */
export async function getInvitation(db: Db, orgId: string, id: string): Promise<Invitation> {
  const rows = await db
    .select()
    .from(invitations)
    .where(and(eq(invitations.orgId, orgId), eq(invitations.id, id)))
    .limit(1);
  if (!rows[0]) throw new NotFoundError("invitation", id);
  return rows[0];
}

/** Not org-scoped: the secret is the capability. */
export async function findInvitationByTokenHash(
  db: Db,
  tokenHash: string,
): Promise<InvitationWithOrg | null> {
  const rows = await db
    .select({
      invitation: invitations,
      orgName: orgs.name,
      invitedByName: users.name,
      invitedByEmail: users.email,
    })
    .from(invitations)
    .innerJoin(orgs, eq(orgs.id, invitations.orgId))
    .leftJoin(users, eq(users.id, invitations.invitedBy))
    .where(eq(invitations.tokenHash, tokenHash))
    .limit(1);
  const r = rows[0];
  return r
    ? {
        ...r.invitation,
        orgName: r.orgName,
        invitedByName: r.invitedByName,
        invitedByEmail: r.invitedByEmail,
      }
    : null;
}

/** A still-usable invitation for `email` in the org, if any. */
export async function findPendingInvitationForEmail(
  db: Db,
  orgId: string,
  email: string,
  now: Date,
): Promise<Invitation | null> {
  const rows = await db
    .select()
    .from(invitations)
    .where(
      and(
        eq(invitations.orgId, orgId),
        sql`lower(${invitations.email}) = ${normalizeEmail(email)}`,
        isNull(invitations.acceptedAt),
        isNull(invitations.revokedAt),
        gt(invitations.expiresAt, now),
      ),
    )
    .limit(1);
  return rows[0] ?? null;
}

/** True when any org holds a still-usable invitation for `email` (single sign-on admits such users). */
export async function hasPendingInvitationForEmail(db: Db, email: string, now: Date): Promise<boolean> {
  const rows = await db
    .select({ id: invitations.id })
    .from(invitations)
    .where(
      and(
        sql`lower(${invitations.email}) = ${normalizeEmail(email)}`,
        isNull(invitations.acceptedAt),
        isNull(invitations.revokedAt),
        gt(invitations.expiresAt, now),
      ),
    )
    .limit(1);
  return rows.length > 0;
}

/**
 * Marks the invitation accepted only if it is still usable at `now` (not accepted, not revoked, not
 * expired): the one statement that makes an invitation single-use under concurrency. Null when it was not.
 */
export async function markInvitationAccepted(
  db: Db,
  id: string,
  userId: string,
  now: Date,
): Promise<Invitation | null> {
  const [row] = await db
    .update(invitations)
    .set({ acceptedAt: now, acceptedBy: userId })
    .where(
      and(
        eq(invitations.id, id),
        isNull(invitations.acceptedAt),
        isNull(invitations.revokedAt),
        gt(invitations.expiresAt, now),
      ),
    )
    .returning();
  return row ?? null;
}

/** Revokes a not-yet-accepted invitation; null when it was accepted or revoked meanwhile. */
export async function markInvitationRevoked(
  db: Db,
  orgId: string,
  id: string,
  now: Date,
): Promise<Invitation | null> {
  const [row] = await db
    .update(invitations)
    .set({ revokedAt: now })
    .where(
      and(
        eq(invitations.orgId, orgId),
        eq(invitations.id, id),
        isNull(invitations.acceptedAt),
        isNull(invitations.revokedAt),
      ),
    )
    .returning();
  return row ?? null;
}

/** The org's members with their accounts, owners first, then by when they joined. */
export async function findMembersByOrg(db: Db, orgId: string): Promise<Member[]> {
  return db
    .select({
      userId: memberships.userId,
      email: users.email,
      name: users.name,
      role: memberships.role,
      joinedAt: memberships.createdAt,
    })
    .from(memberships)
    .innerJoin(users, eq(users.id, memberships.userId))
    .where(eq(memberships.orgId, orgId))
    .orderBy(
      sql`case ${memberships.role} when 'owner' then 0 when 'admin' then 1 when 'member' then 2 else 3 end`,
      asc(memberships.createdAt),
      asc(users.email),
    );
}

/** Throws NotFoundError when the user is not a member of this org. */
export async function getMember(db: Db, orgId: string, userId: string): Promise<Member> {
  const rows = await db
    .select({
      userId: memberships.userId,
      email: users.email,
      name: users.name,
      role: memberships.role,
      joinedAt: memberships.createdAt,
    })
    .from(memberships)
    .innerJoin(users, eq(users.id, memberships.userId))
    .where(and(eq(memberships.orgId, orgId), eq(memberships.userId, userId)))
    .limit(1);
  if (!rows[0]) throw new NotFoundError("member", userId);
  return rows[0];
}

/**
 * The org's owners, with their membership rows locked until the transaction ends (`FOR UPDATE`), so two
 * concurrent demotions cannot both see "another owner is left". Call inside a transaction.
 */
export async function lockOwners(db: Db, orgId: string): Promise<string[]> {
  const rows = await db
    .select({ userId: memberships.userId })
    .from(memberships)
    .where(and(eq(memberships.orgId, orgId), eq(memberships.role, "owner")))
    .for("update");
  return rows.map((r) => r.userId);
}

/** Adds a member; ConflictError (`memberships_pk`) when the user already belongs to the org. */
export async function insertMembership(
  db: Db,
  input: { orgId: string; userId: string; role: Role },
): Promise<void> {
  try {
    await db.insert(memberships).values(input);
  } catch (err) {
    if (isUniqueViolation(err, "memberships_pk")) {
      throw new ConflictError("the user is already a member of this organization", "memberships_pk", {
        cause: err,
      });
    }
    throw err;
  }
}

/** Throws NotFoundError when the user is not a member of this org. */
export async function updateMembershipRole(db: Db, orgId: string, userId: string, role: Role): Promise<void> {
  const rows = await db
    .update(memberships)
    .set({ role })
    .where(and(eq(memberships.orgId, orgId), eq(memberships.userId, userId)))
    .returning({ userId: memberships.userId });
  if (rows.length === 0) throw new NotFoundError("member", userId);
}

/** Throws NotFoundError when the user is not a member of this org. */
export async function deleteMembership(db: Db, orgId: string, userId: string): Promise<void> {
  const rows = await db
    .delete(memberships)
    .where(and(eq(memberships.orgId, orgId), eq(memberships.userId, userId)))
    .returning({ userId: memberships.userId });
  if (rows.length === 0) throw new NotFoundError("member", userId);
}

/** A new account (password or SSO-only); ConflictError (`users_email_uq`) when the email is taken. */
export async function createUserAccount(
  db: Db,
  input: { email: string; name: string | null; passwordHash: string | null },
): Promise<User> {
  const email = normalizeEmail(input.email);
  try {
    const [row] = await db
      .insert(users)
      .values({ id: newId("usr"), email, name: input.name, passwordHash: input.passwordHash })
      .returning();
    return row!;
  } catch (err) {
    if (isUniqueViolation(err, "users_email_uq")) {
      throw new ConflictError(`an account with ${email} already exists; sign in instead`, "users_email_uq", {
        cause: err,
      });
    }
    throw err;
  }
}

/** Emails and names of the given users (for showing who did what); unknown ids are left out. */
export async function findUserSummaries(db: Db, ids: readonly string[]): Promise<UserSummary[]> {
  if (ids.length === 0) return [];
  return db
    .select({ id: users.id, email: users.email, name: users.name })
    .from(users)
    .where(inArray(users.id, [...new Set(ids)]));
}
