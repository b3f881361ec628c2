import { type Db, writeAudit } from "@edgewatt/db";
import type { SessionClaims } from "../../auth/config";
import { findSessionOrg } from "./session-org";

export interface CompleteSsoSignInOptions {
  db: Db;
  /** The account Auth.js found or created for the SSO identity. */
  userId: string;
}

/**
 * After a single sign-on: the session's org (the oldest membership) with a `user.signin` audit record, or
 * null for an invited user who belongs to no org yet (they accept their invitation next).
 */
export async function completeSsoSignIn(opts: CompleteSsoSignInOptions): Promise<SessionClaims | null> {
  const claims = await findSessionOrg({ db: opts.db, userId: opts.userId, orgId: null });
  if (claims) {
    await writeAudit(opts.db, {
      orgId: claims.orgId,
      actorUserId: opts.userId,
      action: "user.signin",
      targetType: "user",
      targetId: opts.userId,
      details: { method: "sso" },
    });
  }
  return claims;
}
