import { and, desc, eq, gt, isNull, lt, sql } from "drizzle-orm";
import type { Db } from "../client";
import { InvalidInputError, NotFoundError } from "../errors";
import { newId } from "../ids";
import { deviceGroups, enrollmentTokens } from "../schema";

export type EnrollmentToken = typeof enrollmentTokens.$inferSelect;
export type EnrollmentTokenWithGroup = EnrollmentToken & { groupName: string | null };

/** Why a token did not enroll a device, most fundamental first. */
export const TOKEN_REJECTIONS = ["unknown", "revoked", "expired", "exhausted"] as const;
export type TokenRejection = (typeof TOKEN_REJECTIONS)[number];

export type ConsumeTokenResult = { ok: true; token: EnrollmentToken } | { ok: false; reason: TokenRejection };

export type CreateEnrollmentTokenInput = {
  id?: string;
  orgId: string;
  groupId: string | null;
  /** sha256 (hex) of the secret; the secret itself is never stored. */
  tokenHash: string;
  prefix: string;
  label: string | null;
  maxUses: number;
  expiresAt: Date;
  createdBy: string | null;
};

export async function createEnrollmentToken(
  db: Db,
  input: CreateEnrollmentTokenInput,
): Promise<EnrollmentToken> {
  if (!Number.isInteger(input.maxUses) || input.maxUses < 1) {
    throw new InvalidInputError(`an enrollment token must allow at least one use, got ${input.maxUses}`);
  }
  const [row] = await db
    .insert(enrollmentTokens)
    .values({ ...input, id: input.id ?? newId("tok") })
    .returning();
  return row!;
}

/** Newest first, with the name of the group that enrolled devices join. */
export async function findTokensByOrg(db: Db, orgId: string): Promise<EnrollmentTokenWithGroup[]> {
  const rows = await db
    .select({ token: enrollmentTokens, groupName: deviceGroups.name })
    .from(enrollmentTokens)
    .leftJoin(deviceGroups, eq(deviceGroups.id, enrollmentTokens.groupId))
    .where(eq(enrollmentTokens.orgId, orgId))
    .orderBy(desc(enrollmentTokens.createdAt), desc(enrollmentTokens.id));
  return rows.map((r) => ({ ...r.token, groupName: r.groupName }));
}

/** Revokes the token (idempotent: an already revoked token keeps its first revocation time). */
export async function revokeToken(db: Db, orgId: string, id: string): Promise<EnrollmentToken> {
  const [row] = await db
    .update(enrollmentTokens)
    .set({ revokedAt: sql`coalesce(${enrollmentTokens.revokedAt}, now())` })
    .where(and(eq(enrollmentTokens.orgId, orgId), eq(enrollmentTokens.id, id)))
    .returning();
  if (!row) throw new NotFoundError("enrollment token", id);
  return row;
}

/**
 * Uses the token once, atomically: one UPDATE that only matches a live token (not revoked, not expired
 * at `now`, uses below max_uses) and increments `uses`. Concurrent enrollments can never exceed
 * max_uses. When nothing matched, a second read tells which rule refused it, so the API can say why.
 * Run it in the transaction that creates the device so that a failed enrollment does not spend a use.
 */
export async function consumeEnrollmentToken(
  db: Db,
  tokenHash: string,
  now: Date,
): Promise<ConsumeTokenResult> {
  const [token] = await db
    .update(enrollmentTokens)
    .set({ uses: sql`${enrollmentTokens.uses} + 1` })
    .where(
      and(
        eq(enrollmentTokens.tokenHash, tokenHash),
        isNull(enrollmentTokens.revokedAt),
        gt(enrollmentTokens.expiresAt, now),
        lt(enrollmentTokens.uses, enrollmentTokens.maxUses),
      ),
    )
    .returning();
  if (token) return { ok: true, token };

  const [existing] = await db
    .select()
    .from(enrollmentTokens)
    .where(eq(enrollmentTokens.tokenHash, tokenHash))
    .limit(1);
  if (!existing) return { ok: false, reason: "unknown" };
  if (existing.revokedAt !== null) return { ok: false, reason: "revoked" };
  if (existing.expiresAt.getTime() <= now.getTime()) return { ok: false, reason: "expired" };
  return { ok: false, reason: "exhausted" };
}
