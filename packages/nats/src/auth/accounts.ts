/**
 * The deployment's trust chain: one operator, its system account, and the one application account EDGEWATT
 * that holds every stream, KV bucket and object store. Each org has its own signing key on that account; device
 * users are signed with it, so removing an org's key from the account cuts off all of that org's devices at once.
 * Revoked users are listed in the account JWT (`revocations`: user public key → unix seconds).
 */
import { type Account, decode, encodeAccount, encodeOperator, type OperatorLimits } from "@nats-io/jwt";
import { EdgewattNatsError } from "../errors";
import { createNkeyPair, keyPairFromSeed, type NkeyPair, parsePublicKey } from "./keys";

export const OPERATOR_NAME = "edgewatt";
export const SYSTEM_ACCOUNT_NAME = "SYS";
export const APP_ACCOUNT_NAME = "EDGEWATT";

/**
 * Account limits. An account JWT that omits a limit gets zero for it, not "unlimited": without `conn` every
 * connection is refused ("maximum account active connections exceeded"), without the JetStream ones the
 * account has no JetStream. So every limit is spelled out.
 */
export const APP_ACCOUNT_LIMITS = {
  conn: -1,
  subs: -1,
  data: -1,
  payload: -1,
  imports: -1,
  exports: -1,
  leaf: -1,
  wildcards: true,
  // Every user must prove it holds its seed (no bearer JWTs).
  disallow_bearer: true,
  mem_storage: -1,
  disk_storage: -1,
  streams: -1,
  consumer: -1,
} as const satisfies OperatorLimits;

export const SYSTEM_ACCOUNT_LIMITS = {
  conn: -1,
  subs: -1,
  data: -1,
  payload: -1,
  imports: -1,
  exports: -1,
  leaf: -1,
  wildcards: true,
  disallow_bearer: true,
} as const satisfies OperatorLimits;

export interface SignedKey extends NkeyPair {
  jwt: string;
}

/** Everything the deployment's NATS auth is made of. Seeds are secrets. */
export interface NatsAuthSetup {
  operator: SignedKey;
  systemAccount: SignedKey;
  /** The application account; its JWT is re-issued whenever signing keys or revocations change. */
  account: SignedKey;
}

/** Creates a new operator, system account and application account (no org signing keys yet). */
export async function createNatsAuthSetup(): Promise<NatsAuthSetup> {
  const operator = createNkeyPair("operator");
  const systemAccount = createNkeyPair("account");
  const account = createNkeyPair("account");
  const operatorJwt = await encodeOperator(OPERATOR_NAME, keyPairFromSeed("operator", operator.seed, "op"), {
    system_account: systemAccount.publicKey,
  });
  const systemJwt = await encodeSystemAccountJwt({
    operatorSeed: operator.seed,
    systemAccountSeed: systemAccount.seed,
  });
  const accountJwt = await encodeAppAccountJwt({
    operatorSeed: operator.seed,
    accountPublicKey: account.publicKey,
    signingKeys: [],
    revocations: {},
  });
  return {
    operator: { ...operator, jwt: operatorJwt },
    systemAccount: { ...systemAccount, jwt: systemJwt },
    account: { ...account, jwt: accountJwt },
  };
}

export async function encodeSystemAccountJwt(opts: {
  operatorSeed: string;
  systemAccountSeed: string;
}): Promise<string> {
  const operator = keyPairFromSeed("operator", opts.operatorSeed, "the operator seed");
  const sys = keyPairFromSeed("account", opts.systemAccountSeed, "the system account seed");
  return encodeAccount(
    SYSTEM_ACCOUNT_NAME,
    sys.getPublicKey(),
    { limits: SYSTEM_ACCOUNT_LIMITS },
    { signer: operator },
  );
}

/** User public key → unix seconds: users issued at or before that second are refused. */
export type Revocations = Record<string, number>;

export interface AppAccountState {
  operatorSeed: string;
  accountPublicKey: string;
  /** Public keys of the org signing keys that may sign device users. */
  signingKeys: readonly string[];
  revocations: Readonly<Revocations>;
}

/** Signs the application account JWT for the given signing keys and revocations. */
export async function encodeAppAccountJwt(state: AppAccountState): Promise<string> {
  const operator = keyPairFromSeed("operator", state.operatorSeed, "the operator seed");
  const account = parsePublicKey("account", state.accountPublicKey, "the application account key");
  const signingKeys = [
    ...new Set(state.signingKeys.map((k) => parsePublicKey("account", k, "an org signing key"))),
  ];
  const revocations: Revocations = {};
  for (const [key, at] of Object.entries(state.revocations)) {
    revocations[parsePublicKey("user", key, "a revoked user key")] = Math.floor(at);
  }
  const claims: Partial<Account> = {
    limits: { ...APP_ACCOUNT_LIMITS },
    signing_keys: signingKeys.sort(),
    ...(Object.keys(revocations).length > 0 ? { revocations } : {}),
  };
  return encodeAccount(APP_ACCOUNT_NAME, account, claims, { signer: operator });
}

/** The claims of an account JWT, signature checked (not whether its signer is trusted). */
export function decodeAccountJwt(jwt: string): {
  publicKey: string;
  issuer: string;
  issuedAt: number;
  account: Partial<Account>;
} {
  let claims: ReturnType<typeof decode<Account>>;
  try {
    claims = decode<Account>(jwt);
  } catch (cause) {
    throw new EdgewattNatsError("INVALID_JWT", `not a valid account JWT: ${(cause as Error).message}`, {
      cause,
    });
  }
  if (claims.nats.type !== "account") {
    throw new EdgewattNatsError(
      "INVALID_JWT",
      `expected an account JWT, got a ${String(claims.nats.type)} JWT`,
    );
  }
  return { publicKey: claims.sub, issuer: claims.iss, issuedAt: claims.iat, account: claims.nats };
}

/**
 * Adds revocations to an existing application account JWT and signs it again: the new JWT to push to the
 * servers. Users are revoked as of `at` (default now), i.e. every JWT of theirs issued up to that second.
 */
export async function revokeUsers(opts: {
  accountJwt: string;
  operatorSeed: string;
  userPublicKeys: readonly string[];
  at?: Date;
}): Promise<string> {
  const current = decodeAccountJwt(opts.accountJwt);
  const at = Math.floor((opts.at ?? new Date()).getTime() / 1000);
  const revocations: Revocations = { ...(current.account.revocations ?? {}) };
  for (const key of opts.userPublicKeys) {
    const k = parsePublicKey("user", key, "the user key to revoke");
    revocations[k] = Math.max(revocations[k] ?? 0, at);
  }
  return encodeAppAccountJwt({
    operatorSeed: opts.operatorSeed,
    accountPublicKey: current.publicKey,
    signingKeys: signingKeyList(current.account),
    revocations,
  });
}

/** The public keys of an account's signing keys (plain keys; scoped signers are not used by EdgeWatt). */
export function signingKeyList(account: Partial<Account>): string[] {
  return (account.signing_keys ?? []).map((k) => (typeof k === "string" ? k : k.key));
}
