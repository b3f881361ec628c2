import { randomBytes } from "node:crypto";

const ALPHABET = "0123456789abcdefghjkmnpqrstvwxyz";

/** Prefixed random id, e.g. `dev_5k2x…`: 20 base32 chars (100 bits), safe as a NATS subject token. */
export function newId(prefix: string): string {
  const bytes = randomBytes(20);
  let out = "";
  for (const b of bytes) out += ALPHABET[b & 31];
  return `${prefix}_${out}`;
}
