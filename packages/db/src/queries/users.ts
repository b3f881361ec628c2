import { eq, sql } from "drizzle-orm";
import type { Db } from "../client";
import { NotFoundError } from "../errors";
import { users } from "../schema";

export type User = typeof users.$inferSelect;

/** Emails are stored trimmed and lower-cased; the unique index is on lower(email). */
export function normalizeEmail(email: string): string {
  return email.trim().toLowerCase();
}

/** Case-insensitive. */
export async function findUserByEmail(db: Db, email: string): Promise<User | null> {
  const rows = await db
    .select()
    .from(users)
    .where(sql`lower(${users.email}) = ${normalizeEmail(email)}`)
    .limit(1);
  return rows[0] ?? null;
}

export async function findUser(db: Db, id: string): Promise<User | null> {
  const rows = await db.select().from(users).where(eq(users.id, id)).limit(1);
  return rows[0] ?? null;
}

export async function getUser(db: Db, id: string): Promise<User> {
  const user = await findUser(db, id);
  if (!user) throw new NotFoundError("user", id);
  return user;
}

export async function updateUserPasswordHash(db: Db, id: string, passwordHash: string | null): Promise<void> {
  const rows = await db
    .update(users)
    .set({ passwordHash })
    .where(eq(users.id, id))
    .returning({ id: users.id });
  if (rows.length === 0) throw new NotFoundError("user", id);
}
