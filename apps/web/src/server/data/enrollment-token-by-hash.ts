/** Reads a token by its hash, to explain why `consumeEnrollmentToken` refused it (times and counts). */
import type { Db, EnrollmentToken } from "@edgewatt/db";
import { enrollmentTokens } from "@edgewatt/db/schema";
import { eq } from "drizzle-orm";

export async function findEnrollmentTokenByHash(db: Db, tokenHash: string): Promise<EnrollmentToken | null> {
  const rows = await db
    .select()
    .from(enrollmentTokens)
    .where(eq(enrollmentTokens.tokenHash, tokenHash))
    .limit(1);
  return rows[0] ?? null;
}
