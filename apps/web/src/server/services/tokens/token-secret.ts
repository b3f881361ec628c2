/** Enrollment token secrets: `ewt_` + 192 random bits; only their sha256 is stored. */
import { createHash, randomBytes } from "node:crypto";

export const TOKEN_SECRET_PREFIX = "ewt_";
/** How much of the secret is kept (and shown in lists) to recognise a token. */
const RECOGNISABLE_CHARS = 12;

export function generateTokenSecret(): { secret: string; prefix: string; hash: string } {
  const secret = `${TOKEN_SECRET_PREFIX}${randomBytes(24).toString("base64url")}`;
  return { secret, prefix: secret.slice(0, RECOGNISABLE_CHARS), hash: hashTokenSecret(secret) };
}

export function hashTokenSecret(secret: string): string {
  return createHash("sha256").update(secret.trim(), "utf8").digest("hex");
}
