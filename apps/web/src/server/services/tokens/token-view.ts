import type { EnrollmentTokenWithGroup } from "@edgewatt/db";

export type TokenState = "active" | "expired" | "exhausted" | "revoked";

/** What the portal shows about a token: everything but its hash. */
export interface TokenView {
  id: string;
  prefix: string;
  label: string | null;
  groupId: string | null;
  groupName: string | null;
  uses: number;
  maxUses: number;
  expiresAt: Date;
  revokedAt: Date | null;
  createdAt: Date;
  state: TokenState;
}

export function toTokenView(
  t: Omit<EnrollmentTokenWithGroup, "groupName"> & { groupName?: string | null },
  now: Date,
): TokenView {
  const state: TokenState =
    t.revokedAt !== null
      ? "revoked"
      : t.expiresAt.getTime() <= now.getTime()
        ? "expired"
        : t.uses >= t.maxUses
          ? "exhausted"
          : "active";
  return {
    id: t.id,
    prefix: t.prefix,
    label: t.label,
    groupId: t.groupId,
    groupName: t.groupName ?? null,
    uses: t.uses,
    maxUses: t.maxUses,
    expiresAt: t.expiresAt,
    revokedAt: t.revokedAt,
    createdAt: t.createdAt,
    state,
  };
}
