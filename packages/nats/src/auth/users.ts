/**
 * User JWTs. A device user is signed by its org's signing key (issuer_account = the application account) and
 * carries the device's permissions; the device made its own key pair and only its public key ever leaves it.
 * Service users (web, worker, launcher) are signed by the account key itself and may do anything in the
 * account; system users live in the system account and push account JWT updates.
 */
import { decode, encodeUser, fmtCreds, type User } from "@nats-io/jwt";
import { EdgewattNatsError } from "../errors";
import { createNkeyPair, keyPairFromSeed, type NkeyPair, parsePublicKey } from "./keys";
import { type DeviceBuckets, devicePermissions } from "./permissions";

export interface MintDeviceUserInput {
  /** The application account's public key (the user's issuer_account). */
  accountPublicKey: string;
  /** The seed of the device's org signing key. */
  orgSigningKeySeed: string;
  orgId: string;
  deviceId: string;
  /** The device's own user public key (U…), sent by the agent at enrollment or rotation. */
  userPublicKey: string;
  buckets?: Partial<DeviceBuckets>;
  /** Optional expiry; device JWTs normally live until revoked or rotated. */
  expiresAt?: Date;
}

/** Mints a device's user JWT (the JWT only: the seed stays on the device). */
export async function mintDeviceUser(input: MintDeviceUserInput): Promise<string> {
  const account = parsePublicKey("account", input.accountPublicKey, "the application account key");
  const signer = keyPairFromSeed(
    "account",
    input.orgSigningKeySeed,
    `the signing key seed of org ${input.orgId}`,
  );
  const user = parsePublicKey("user", input.userPublicKey, `the NATS public key of device ${input.deviceId}`);
  const perms = devicePermissions({
    orgId: input.orgId,
    deviceId: input.deviceId,
    ...(input.buckets ? { buckets: input.buckets } : {}),
  });
  return encodeUser(
    input.deviceId,
    user,
    account,
    {
      ...perms,
      bearer_token: false,
      tags: [`org:${input.orgId.toLowerCase()}`, `device:${input.deviceId.toLowerCase()}`],
    },
    { signer, ...(input.expiresAt ? { exp: Math.floor(input.expiresAt.getTime() / 1000) } : {}) },
  );
}

export interface MintedUser extends NkeyPair {
  jwt: string;
}

/** A new service user of the application account with no restrictions (web, worker, launcher). */
export async function mintServiceUser(opts: { accountSeed: string; name: string }): Promise<MintedUser> {
  const account = keyPairFromSeed("account", opts.accountSeed, "the application account seed");
  const user = createNkeyPair("user");
  const jwt = await encodeUser(`service:${opts.name}`, user.publicKey, account, {});
  return { ...user, jwt };
}

/** A new user of the system account that may only push account JWT updates (and get the replies). */
export async function mintSystemUser(opts: { systemAccountSeed: string; name: string }): Promise<MintedUser> {
  const sys = keyPairFromSeed("account", opts.systemAccountSeed, "the system account seed");
  const user = createNkeyPair("user");
  const jwt = await encodeUser(`system:${opts.name}`, user.publicKey, sys, {
    pub: { allow: ["$SYS.REQ.CLAIMS.UPDATE", "$SYS.REQ.ACCOUNT.*.CLAIMS.UPDATE"], deny: [] },
    sub: { allow: ["_INBOX.>"], deny: [] },
  });
  return { ...user, jwt };
}

/** The `.creds` file text (JWT + seed) for a user. The file is a secret; write it 0600. */
export function formatCredentials(user: { jwt: string; seed: string }): string {
  return new TextDecoder().decode(fmtCreds(user.jwt, keyPairFromSeed("user", user.seed, "the user seed")));
}

/** The claims of a user JWT, signature checked. */
export function decodeUserJwt(jwt: string): {
  publicKey: string;
  issuer: string;
  issuerAccount: string;
  issuedAt: number;
  name: string;
  user: Partial<User>;
} {
  let claims: ReturnType<typeof decode<User>>;
  try {
    claims = decode<User>(jwt);
  } catch (cause) {
    throw new EdgewattNatsError("INVALID_JWT", `not a valid user JWT: ${(cause as Error).message}`, {
      cause,
    });
  }
  if (claims.nats.type !== "user") {
    throw new EdgewattNatsError("INVALID_JWT", `expected a user JWT, got a ${String(claims.nats.type)} JWT`);
  }
  return {
    publicKey: claims.sub,
    issuer: claims.iss,
    issuerAccount: claims.nats.issuer_account ?? claims.iss,
    issuedAt: claims.iat,
    name: claims.name,
    user: claims.nats,
  };
}
