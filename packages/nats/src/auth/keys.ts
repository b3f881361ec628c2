/**
 * NKeys as EdgeWatt stores and passes them: public keys and seeds as strings. Every key that comes from outside
 * (a database row, an HTTP request, a file) is checked here, so a malformed one fails with a message that says
 * which key it was and what was expected, not deep inside a signature.
 */
import {
  createAccount,
  createOperator,
  createUser,
  fromPublic,
  fromSeed,
  type KeyPair,
} from "@nats-io/nkeys";
import { EdgewattNatsError } from "../errors";

/** The first character of a public key, and `S` + that character for its seed. */
export const NKEY_KINDS = { operator: "O", account: "A", user: "U" } as const;
export type NkeyKind = keyof typeof NKEY_KINDS;

/** A key pair in string form; the seed is a secret. */
export interface NkeyPair {
  publicKey: string;
  seed: string;
}

const PUBLIC_KEY = /^[OAU][A-Z2-7]{55}$/;
const SEED = /^S[OAU][A-Z2-7]{56}$/;

export function createNkeyPair(kind: NkeyKind): NkeyPair {
  const kp = kind === "operator" ? createOperator() : kind === "account" ? createAccount() : createUser();
  return toPair(kp);
}

/** Checks a public key of the given kind (including its checksum) and returns it. */
export function parsePublicKey(kind: NkeyKind, value: string, what: string): string {
  const prefix = NKEY_KINDS[kind];
  if (!PUBLIC_KEY.test(value) || value[0] !== prefix) {
    throw invalid(what, `${article(kind)} ${kind} public key (56 characters starting with ${prefix})`, value);
  }
  try {
    return fromPublic(value).getPublicKey();
  } catch (cause) {
    throw invalid(what, `${article(kind)} ${kind} public key with a valid checksum`, value, cause);
  }
}

/** Opens a seed of the given kind (including its checksum) as a key pair that can sign. */
export function keyPairFromSeed(kind: NkeyKind, seed: string, what: string): KeyPair {
  const prefix = `S${NKEY_KINDS[kind]}`;
  if (!SEED.test(seed) || !seed.startsWith(prefix)) {
    throw invalid(what, `${article(kind)} ${kind} seed (58 characters starting with ${prefix})`, null);
  }
  try {
    const kp = fromSeed(new TextEncoder().encode(seed));
    kp.getPrivateKey();
    return kp;
  } catch (cause) {
    throw invalid(what, `${article(kind)} ${kind} seed with a valid checksum`, null, cause);
  }
}

/** The public key of a seed, checked. */
export function publicKeyOfSeed(kind: NkeyKind, seed: string, what: string): string {
  return keyPairFromSeed(kind, seed, what).getPublicKey();
}

export function toPair(kp: KeyPair): NkeyPair {
  return { publicKey: kp.getPublicKey(), seed: new TextDecoder().decode(kp.getSeed()) };
}

function article(kind: NkeyKind): string {
  return kind === "user" ? "a" : "an";
}

function invalid(what: string, expected: string, value: string | null, cause?: unknown): EdgewattNatsError {
  // Seeds are secrets: never echo them, not even a malformed one.
  const shown = value === null ? "" : ` (got "${value.length > 64 ? `${value.slice(0, 64)}…` : value}")`;
  return new EdgewattNatsError("INVALID_NKEY", `${what} is not ${expected}${shown}`, { cause });
}
