/**
 * The deployment's NATS trust chain (operator mode): the operator, the system account and the application
 * account, one row; a signing key per org; and the revoked device user keys the account JWT lists. Seeds are
 * stored sealed (`SecretBox`, key from EDGEWATT_SECRET_KEY); public keys and JWTs are not secret.
 */
import { sql } from "drizzle-orm";
import { check, index, integer, pgTable, text, timestamp, uniqueIndex } from "drizzle-orm/pg-core";
import { devices } from "./devices";
import { orgs } from "./orgs";

/** The id of the one `nats_auth` row. */
export const NATS_AUTH_ID = "default";

export const natsAuth = pgTable(
  "nats_auth",
  {
    id: text("id").primaryKey().default(NATS_AUTH_ID),
    operatorPublicKey: text("operator_public_key").notNull(),
    operatorSeedSealed: text("operator_seed_sealed").notNull(),
    operatorJwt: text("operator_jwt").notNull(),
    systemAccountPublicKey: text("system_account_public_key").notNull(),
    systemAccountSeedSealed: text("system_account_seed_sealed").notNull(),
    systemAccountJwt: text("system_account_jwt").notNull(),
    accountPublicKey: text("account_public_key").notNull(),
    accountSeedSealed: text("account_seed_sealed").notNull(),
    /** The latest signed application account JWT (signing keys + revocations), as last pushed. */
    accountJwt: text("account_jwt").notNull(),
    /** Bumped on every re-issue of `account_jwt`. */
    accountJwtVersion: integer("account_jwt_version").notNull().default(1),
    createdAt: timestamp("created_at", { withTimezone: true }).notNull().defaultNow(),
    updatedAt: timestamp("updated_at", { withTimezone: true }).notNull().defaultNow(),
  },
  (t) => [check("nats_auth_singleton_ck", sql`${t.id} = 'default'`)],
);

export const orgNatsSigningKeys = pgTable(
  "org_nats_signing_keys",
  {
    orgId: text("org_id")
      .primaryKey()
      .references(() => orgs.id, { onDelete: "cascade" }),
    publicKey: text("public_key").notNull(),
    seedSealed: text("seed_sealed").notNull(),
    createdAt: timestamp("created_at", { withTimezone: true }).notNull().defaultNow(),
    /** Set when the key was taken off the account: every device of the org is cut off. */
    revokedAt: timestamp("revoked_at", { withTimezone: true }),
  },
  (t) => [uniqueIndex("org_nats_signing_keys_public_key_uq").on(t.publicKey)],
);

export const NATS_REVOCATION_REASONS = ["device-revoked", "rotated"] as const;
export type NatsRevocationReason = (typeof NATS_REVOCATION_REASONS)[number];

export const natsUserRevocations = pgTable(
  "nats_user_revocations",
  {
    userPublicKey: text("user_public_key").primaryKey(),
    orgId: text("org_id")
      .notNull()
      .references(() => orgs.id, { onDelete: "cascade" }),
    deviceId: text("device_id").references(() => devices.id, { onDelete: "set null" }),
    reason: text("reason").$type<NatsRevocationReason>().notNull(),
    revokedAt: timestamp("revoked_at", { withTimezone: true }).notNull().defaultNow(),
  },
  (t) => [index("nats_user_revocations_org_idx").on(t.orgId)],
);
