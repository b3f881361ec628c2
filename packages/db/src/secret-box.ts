/**
 * Secrets at rest (NATS operator, account and org signing key seeds): AES-256-GCM with a key derived from the
 * deployment's secret (EDGEWATT_SECRET_KEY) by HKDF-SHA256. Each value is bound to its context (e.g.
 * `nats.org-signing-key:<org id>`) as additional authenticated data, so a sealed value copied into another row
 * does not open there. Stored form: `v1:<iv>:<tag>:<ciphertext>`, base64url.
 */
import { createCipheriv, createDecipheriv, hkdfSync, randomBytes } from "node:crypto";
import { InvalidInputError, SecretUnreadableError } from "./errors";

export interface SecretBox {
  seal(plaintext: string, context: string): string;
  /** Throws SecretUnreadableError when the key is not the one that sealed the value, or it was altered. */
  open(sealed: string, context: string): string;
}

const VERSION = "v1";
const MIN_SECRET_CHARS = 32;

export function createSecretBox(secret: string): SecretBox {
  if (secret.length < MIN_SECRET_CHARS) {
    throw new InvalidInputError(
      `the secret key must be at least ${MIN_SECRET_CHARS} characters; generate one with \`openssl rand -base64 33\``,
    );
  }
  const key = Buffer.from(hkdfSync("sha256", secret, "edgewatt/secret-box", VERSION, 32));
  return {
    seal(plaintext, context) {
      const iv = randomBytes(12);
      const cipher = createCipheriv("aes-256-gcm", key, iv);
      cipher.setAAD(Buffer.from(context, "utf8"));
      const ct = Buffer.concat([cipher.update(plaintext, "utf8"), cipher.final()]);
      return [VERSION, iv, cipher.getAuthTag(), ct]
        .map((p) => (typeof p === "string" ? p : p.toString("base64url")))
        .join(":");
    },
    open(sealed, context) {
      const [version, iv, tag, ct] = sealed.split(":");
      if (version !== VERSION || !iv || !tag || ct === undefined) {
        throw new SecretUnreadableError(`the stored ${context} is not a sealed value of this version`);
      }
      try {
        const decipher = createDecipheriv("aes-256-gcm", key, Buffer.from(iv, "base64url"));
        decipher.setAAD(Buffer.from(context, "utf8"));
        decipher.setAuthTag(Buffer.from(tag, "base64url"));
        return Buffer.concat([decipher.update(Buffer.from(ct, "base64url")), decipher.final()]).toString(
          "utf8",
        );
      } catch (cause) {
        throw new SecretUnreadableError(
          `cannot decrypt the stored ${context}: EDGEWATT_SECRET_KEY is not the key it was sealed with (or the value was altered)`,
          { cause },
        );
      }
    },
  };
}
