/**
 * The gate for single sign-on (OIDC), run before Auth.js creates or links any account: an SSO sign-in is
 * allowed for an email that already belongs to an org member or that holds a pending invitation. Anyone
 * else is refused and nothing is created: SSO never makes an org, and joins nobody by itself.
 */
import { type Db, findMembershipsForUser, findUserByEmail, hasPendingInvitationForEmail } from "@edgewatt/db";

export const SSO_REFUSALS = ["sso_no_email", "sso_email_unverified", "sso_not_invited"] as const;
export type SsoRefusal = (typeof SSO_REFUSALS)[number];

export interface CheckSsoSignInOptions {
  db: Db;
  /** The ID token's `email` claim. */
  email: string | null | undefined;
  /** The ID token's `email_verified` claim; only an explicit false refuses (many IdPs omit it). */
  emailVerified: boolean | undefined;
  now?: Date;
}

export async function checkSsoSignIn(
  opts: CheckSsoSignInOptions,
): Promise<{ allowed: true } | { allowed: false; reason: SsoRefusal }> {
  const email = opts.email?.trim();
  if (!email) return { allowed: false, reason: "sso_no_email" };
  if (opts.emailVerified === false) return { allowed: false, reason: "sso_email_unverified" };
  const user = await findUserByEmail(opts.db, email);
  if (user && (await findMembershipsForUser(opts.db, user.id)).length > 0) return { allowed: true };
  if (await hasPendingInvitationForEmail(opts.db, email, opts.now ?? new Date())) return { allowed: true };
  return { allowed: false, reason: "sso_not_invited" };
}
