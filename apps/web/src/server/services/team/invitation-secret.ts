/**
 * Invitation link secrets: `ewi_` + 192 random bits, put into `/invite/<secret>` and shown once; only their
 * sha256 is stored (hashed like enrollment token secrets).
 */
import { randomBytes } from "node:crypto";
import { hashTokenSecret } from "../tokens/token-secret";

export const INVITATION_SECRET_PREFIX = "ewi_";

export function generateInvitationSecret(): { secret: string; hash: string } {
  const secret = `${INVITATION_SECRET_PREFIX}${randomBytes(24).toString("base64url")}`;
  return { secret, hash: hashInvitationSecret(secret) };
}

export function hashInvitationSecret(secret: string): string {
  return hashTokenSecret(secret);
}

/** The accept page's address for a secret. */
export function invitationUrl(origin: string, secret: string): string {
  return `${origin.replace(/\/+$/, "")}/invite/${encodeURIComponent(secret)}`;
}
