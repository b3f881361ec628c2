/**
 * The NATS trust chain and per-device credential state. Seeds go in sealed and come out opened; callers hand
 * in the deployment's SecretBox. Composing JWTs is not done here (that is @edgewatt/nats/auth); these functions
 * only store and read what the control plane decided.
 */
import { and, eq, isNull, sql } from "drizzle-orm";
import type { Db } from "../client";
import { NotFoundError } from "../errors";
import {
  NATS_AUTH_ID,
  type NatsRevocationReason,
  natsAuth,
  natsUserRevocations,
  orgNatsSigningKeys,
} from "../schema";
import { devices } from "../schema/devices";
import type { SecretBox } from "../secret-box";
import type { Device } from "./devices";

export interface NatsKeyMaterial {
  publicKey: string;
  seed: string;
  jwt: string;
}

/** The deployment's trust chain, seeds opened. */
export interface NatsAuthMaterial {
  operator: NatsKeyMaterial;
  systemAccount: NatsKeyMaterial;
  account: NatsKeyMaterial;
  accountJwtVersion: number;
}

const CONTEXT = {
  operator: "nats.operator-seed",
  systemAccount: "nats.system-account-seed",
  account: "nats.account-seed",
  orgKey: (orgId: string) => `nats.org-signing-key:${orgId}`,
} as const;

function openRow(box: SecretBox, row: typeof natsAuth.$inferSelect): NatsAuthMaterial {
  return {
    operator: {
      publicKey: row.operatorPublicKey,
      seed: box.open(row.operatorSeedSealed, CONTEXT.operator),
      jwt: row.operatorJwt,
    },
    systemAccount: {
      publicKey: row.systemAccountPublicKey,
      seed: box.open(row.systemAccountSeedSealed, CONTEXT.systemAccount),
      jwt: row.systemAccountJwt,
    },
    account: {
      publicKey: row.accountPublicKey,
      seed: box.open(row.accountSeedSealed, CONTEXT.account),
      jwt: row.accountJwt,
    },
    accountJwtVersion: row.accountJwtVersion,
  };
}

/**
 * The trust chain, or null before it was created. `forUpdate` (inside a transaction) locks the row: every
 * re-issue of the account JWT takes this lock, so updates (and the pushes made while holding it) are serial.
 */
export async function findNatsAuth(
  db: Db,
  box: SecretBox,
  opts: { forUpdate?: boolean } = {},
): Promise<NatsAuthMaterial | null> {
  const query = db.select().from(natsAuth).where(eq(natsAuth.id, NATS_AUTH_ID)).limit(1);
  const rows = opts.forUpdate ? await query.for("update") : await query;
  return rows[0] ? openRow(box, rows[0]) : null;
}

export async function getNatsAuth(
  db: Db,
  box: SecretBox,
  opts: { forUpdate?: boolean } = {},
): Promise<NatsAuthMaterial> {
  const found = await findNatsAuth(db, box, opts);
  if (!found) throw new NotFoundError("nats_auth", NATS_AUTH_ID);
  return found;
}

/**
 * Stores a new trust chain unless one exists; returns the one stored (the caller's, or the one another process
 * stored first). Safe to race.
 */
export async function createNatsAuthIfMissing(
  db: Db,
  box: SecretBox,
  material: Omit<NatsAuthMaterial, "accountJwtVersion">,
): Promise<NatsAuthMaterial> {
  await db
    .insert(natsAuth)
    .values({
      id: NATS_AUTH_ID,
      operatorPublicKey: material.operator.publicKey,
      operatorSeedSealed: box.seal(material.operator.seed, CONTEXT.operator),
      operatorJwt: material.operator.jwt,
      systemAccountPublicKey: material.systemAccount.publicKey,
      systemAccountSeedSealed: box.seal(material.systemAccount.seed, CONTEXT.systemAccount),
      systemAccountJwt: material.systemAccount.jwt,
      accountPublicKey: material.account.publicKey,
      accountSeedSealed: box.seal(material.account.seed, CONTEXT.account),
      accountJwt: material.account.jwt,
    })
    .onConflictDoNothing();
  return getNatsAuth(db, box);
}

/** Records a re-issued application account JWT; returns its version. */
export async function updateNatsAccountJwt(db: Db, accountJwt: string): Promise<number> {
  const [row] = await db
    .update(natsAuth)
    .set({ accountJwt, accountJwtVersion: sql`${natsAuth.accountJwtVersion} + 1`, updatedAt: sql`now()` })
    .where(eq(natsAuth.id, NATS_AUTH_ID))
    .returning({ version: natsAuth.accountJwtVersion });
  if (!row) throw new NotFoundError("nats_auth", NATS_AUTH_ID);
  return row.version;
}

export interface OrgSigningKey {
  orgId: string;
  publicKey: string;
  seed: string;
  createdAt: Date;
  revokedAt: Date | null;
}

export async function findOrgNatsSigningKey(
  db: Db,
  box: SecretBox,
  orgId: string,
): Promise<OrgSigningKey | null> {
  const rows = await db.select().from(orgNatsSigningKeys).where(eq(orgNatsSigningKeys.orgId, orgId)).limit(1);
  const row = rows[0];
  if (!row) return null;
  return {
    orgId: row.orgId,
    publicKey: row.publicKey,
    seed: box.open(row.seedSealed, CONTEXT.orgKey(row.orgId)),
    createdAt: row.createdAt,
    revokedAt: row.revokedAt,
  };
}

/** Stores the org's signing key unless it has one; returns the stored one. Safe to race. */
export async function createOrgNatsSigningKeyIfMissing(
  db: Db,
  box: SecretBox,
  key: { orgId: string; publicKey: string; seed: string },
): Promise<OrgSigningKey> {
  await db
    .insert(orgNatsSigningKeys)
    .values({
      orgId: key.orgId,
      publicKey: key.publicKey,
      seedSealed: box.seal(key.seed, CONTEXT.orgKey(key.orgId)),
    })
    .onConflictDoNothing();
  const stored = await findOrgNatsSigningKey(db, box, key.orgId);
  if (!stored) throw new NotFoundError("org signing key", key.orgId);
  return stored;
}

/** Public keys of the org signing keys the account lists (not revoked), oldest first. */
export async function findActiveOrgNatsSigningKeys(db: Db): Promise<string[]> {
  const rows = await db
    .select({ publicKey: orgNatsSigningKeys.publicKey })
    .from(orgNatsSigningKeys)
    .where(isNull(orgNatsSigningKeys.revokedAt))
    .orderBy(orgNatsSigningKeys.createdAt, orgNatsSigningKeys.orgId);
  return rows.map((r) => r.publicKey);
}

/** Takes the org's key off the account (idempotent); the caller re-issues and pushes the account JWT. */
export async function revokeOrgNatsSigningKey(db: Db, orgId: string): Promise<void> {
  const rows = await db
    .update(orgNatsSigningKeys)
    .set({ revokedAt: sql`coalesce(${orgNatsSigningKeys.revokedAt}, now())` })
    .where(eq(orgNatsSigningKeys.orgId, orgId))
    .returning({ orgId: orgNatsSigningKeys.orgId });
  if (rows.length === 0) throw new NotFoundError("org signing key", orgId);
}

/** Adds a revoked user key (idempotent: the first revocation time is kept). */
export async function createNatsUserRevocation(
  db: Db,
  input: {
    userPublicKey: string;
    orgId: string;
    deviceId: string | null;
    reason: NatsRevocationReason;
    revokedAt?: Date;
  },
): Promise<void> {
  await db.insert(natsUserRevocations).values(input).onConflictDoNothing();
}

/** Every revoked user key with its revocation time in unix seconds, as the account JWT lists them. */
export async function findNatsRevocations(db: Db): Promise<Record<string, number>> {
  const rows = await db
    .select({ key: natsUserRevocations.userPublicKey, at: natsUserRevocations.revokedAt })
    .from(natsUserRevocations);
  return Object.fromEntries(rows.map((r) => [r.key, Math.floor(r.at.getTime() / 1000)]));
}

/** True when a user key is revoked or belongs to a device: such a key is never issued again. */
export async function isNatsUserKeyTaken(db: Db, userPublicKey: string): Promise<boolean> {
  const [revoked] = await db
    .select({ k: natsUserRevocations.userPublicKey })
    .from(natsUserRevocations)
    .where(eq(natsUserRevocations.userPublicKey, userPublicKey))
    .limit(1);
  if (revoked) return true;
  const [device] = await db
    .select({ id: devices.id })
    .from(devices)
    .where(eq(devices.natsPublicKey, userPublicKey))
    .limit(1);
  return device !== undefined;
}

/** The device whose current NATS user key this is (any org), or null. */
export async function findDeviceByNatsPublicKey(db: Db, userPublicKey: string): Promise<Device | null> {
  const rows = await db.select().from(devices).where(eq(devices.natsPublicKey, userPublicKey)).limit(1);
  return rows[0] ?? null;
}

/**
 * Moves a device to a new NATS user key if its current key is still `from` (compare-and-set, so two rotations
 * racing with the same proof cannot both win). Returns the updated device, or null when the key had changed or
 * the device is revoked.
 */
export async function updateDeviceNatsPublicKey(
  db: Db,
  input: { orgId: string; deviceId: string; from: string; to: string },
): Promise<Device | null> {
  const [row] = await db
    .update(devices)
    .set({ natsPublicKey: input.to })
    .where(
      and(
        eq(devices.orgId, input.orgId),
        eq(devices.id, input.deviceId),
        eq(devices.natsPublicKey, input.from),
        sql`${devices.status} <> 'revoked'`,
      ),
    )
    .returning();
  return row ?? null;
}
