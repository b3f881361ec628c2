/** Inserts the seed needs that @edgewatt/db has no query for (a user without an org, an org by slug). */
import { type Db, newId, normalizeEmail, type Org, type User } from "@edgewatt/db";
import { orgs, users } from "@edgewatt/db/schema";

export async function insertUser(
  db: Db,
  input: { email: string; name: string | null; passwordHash: string },
): Promise<User> {
  const [row] = await db
    .insert(users)
    .values({
      id: newId("usr"),
      email: normalizeEmail(input.email),
      name: input.name,
      passwordHash: input.passwordHash,
    })
    .returning();
  return row!;
}

export async function insertOrg(db: Db, input: { name: string; slug: string }): Promise<Org> {
  const [row] = await db
    .insert(orgs)
    .values({ id: newId("org"), name: input.name, slug: input.slug })
    .returning();
  return row!;
}
