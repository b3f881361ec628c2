import type { Role } from "@edgewatt/protocol";
import { and, asc, eq } from "drizzle-orm";
import type { Db } from "../client";
import { ConflictError, InvalidInputError, isUniqueViolation, NotFoundError } from "../errors";
import { newId } from "../ids";
import { memberships, orgs, users } from "../schema";
import { findUserByEmail, normalizeEmail, type User } from "./users";

export type Org = typeof orgs.$inferSelect;
export type Membership = typeof memberships.$inferSelect;
export type MembershipWithOrg = Membership & { org: Pick<Org, "id" | "name" | "slug"> };

const SLUG_PATTERN = /^[a-z0-9](?:[a-z0-9-]{0,46}[a-z0-9])?$/;

/** `Acme Robotics, Inc.` → `acme-robotics-inc`; never empty. */
export function slugify(name: string): string {
  const slug = name
    .normalize("NFKD")
    .toLowerCase()
    .replace(/[^a-z0-9]+/g, "-")
    .replace(/^-+|-+$/g, "")
    .slice(0, 40)
    .replace(/-+$/, "");
  return slug || "org";
}

export type CreateOrgWithOwnerInput = {
  name: string;
  /** Chosen by the user; when omitted one is derived from the name (with a suffix if taken). */
  slug?: string;
  email: string;
  passwordHash: string | null;
  userName: string | null;
};

/**
 * Sign-up: a new user, a new org and the user's `owner` membership, in one transaction.
 * Throws ConflictError (constraint `users_email_uq` or `orgs_slug_uq`) when the email or the chosen
 * slug is taken, InvalidInputError for a malformed slug.
 */
export async function createOrgWithOwner(
  db: Db,
  input: CreateOrgWithOwnerInput,
): Promise<{ org: Org; user: User; membership: Membership }> {
  const email = normalizeEmail(input.email);
  if (input.slug !== undefined && !SLUG_PATTERN.test(input.slug)) {
    throw new InvalidInputError(
      `"${input.slug}" is not a valid slug: use 1-48 lowercase letters, digits and dashes, not starting or ending with a dash`,
    );
  }
  try {
    return await db.transaction(async (tx) => {
      if (await findUserByEmail(tx, email)) throw emailTaken(email);
      const [user] = await tx
        .insert(users)
        .values({ id: newId("usr"), email, name: input.userName, passwordHash: input.passwordHash })
        .returning();
      const org = await insertOrgWithFreeSlug(tx, input.name, input.slug);
      const [membership] = await tx
        .insert(memberships)
        .values({ orgId: org.id, userId: user!.id, role: "owner" })
        .returning();
      return { org, user: user!, membership: membership! };
    });
  } catch (err) {
    if (isUniqueViolation(err, "users_email_uq")) throw emailTaken(email, err);
    if (isUniqueViolation(err, "orgs_slug_uq")) throw slugTaken(input.slug ?? "", err);
    throw err;
  }
}

async function insertOrgWithFreeSlug(db: Db, name: string, slug: string | undefined): Promise<Org> {
  if (slug !== undefined) {
    const [org] = await db
      .insert(orgs)
      .values({ id: newId("org"), name, slug })
      .onConflictDoNothing()
      .returning();
    if (!org) throw slugTaken(slug);
    return org;
  }
  const base = slugify(name);
  for (let attempt = 0; attempt < 8; attempt++) {
    const candidate = attempt === 0 ? base : `${base}-${newId("x").slice(2, 7)}`;
    const [org] = await db
      .insert(orgs)
      .values({ id: newId("org"), name, slug: candidate })
      .onConflictDoNothing()
      .returning();
    if (org) return org;
  }
  throw new ConflictError(`could not find a free slug for "${name}"; choose one`, "orgs_slug_uq");
}

function emailTaken(email: string, cause?: unknown): ConflictError {
  return new ConflictError(`an account with ${email} already exists; sign in instead`, "users_email_uq", {
    cause,
  });
}

function slugTaken(slug: string, cause?: unknown): ConflictError {
  return new ConflictError(`the organisation address "${slug}" is taken; choose another`, "orgs_slug_uq", {
    cause,
  });
}

export async function findOrg(db: Db, id: string): Promise<Org | null> {
  const rows = await db.select().from(orgs).where(eq(orgs.id, id)).limit(1);
  return rows[0] ?? null;
}

export async function getOrg(db: Db, id: string): Promise<Org> {
  const org = await findOrg(db, id);
  if (!org) throw new NotFoundError("org", id);
  return org;
}

export async function findOrgBySlug(db: Db, slug: string): Promise<Org | null> {
  const rows = await db.select().from(orgs).where(eq(orgs.slug, slug)).limit(1);
  return rows[0] ?? null;
}

/** The orgs a user belongs to, oldest membership first. */
export async function findMembershipsForUser(db: Db, userId: string): Promise<MembershipWithOrg[]> {
  return db
    .select({
      orgId: memberships.orgId,
      userId: memberships.userId,
      role: memberships.role,
      createdAt: memberships.createdAt,
      org: { id: orgs.id, name: orgs.name, slug: orgs.slug },
    })
    .from(memberships)
    .innerJoin(orgs, eq(orgs.id, memberships.orgId))
    .where(eq(memberships.userId, userId))
    .orderBy(asc(memberships.createdAt));
}

export async function findMembership(db: Db, orgId: string, userId: string): Promise<Membership | null> {
  const rows = await db
    .select()
    .from(memberships)
    .where(and(eq(memberships.orgId, orgId), eq(memberships.userId, userId)))
    .limit(1);
  return rows[0] ?? null;
}

/** Throws NotFoundError when the user is not a member of the org: the basis of every org-scoped check. */
export async function getMembership(db: Db, orgId: string, userId: string): Promise<Membership> {
  const membership = await findMembership(db, orgId, userId);
  if (!membership) throw new NotFoundError("membership", `${orgId}/${userId}`);
  return membership;
}

/** Adds a member, or changes the role of an existing one. */
export async function upsertMembership(
  db: Db,
  input: { orgId: string; userId: string; role: Role },
): Promise<Membership> {
  const [row] = await db
    .insert(memberships)
    .values(input)
    .onConflictDoUpdate({ target: [memberships.orgId, memberships.userId], set: { role: input.role } })
    .returning();
  return row!;
}
