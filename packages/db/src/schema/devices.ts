import { DEVICE_STATUSES, type Heartbeat, SCHEDULER_MODES } from "@edgewatt/protocol";
import { index, integer, jsonb, pgEnum, pgTable, text, timestamp, uniqueIndex } from "drizzle-orm/pg-core";
import { users } from "./auth";
import { orgs } from "./orgs";

export const deviceStatusEnum = pgEnum("device_status", DEVICE_STATUSES);
export const schedulerModeEnum = pgEnum("scheduler_mode", SCHEDULER_MODES);

/** Thresholds of an energy policy; validated by the web's policy service. */
export type EnergyPolicyConfig = {
  staticVariant?: string;
  lowBatteryPct?: number;
  latencySloMs?: number;
  minFidelity?: number;
  degradablePriorities?: string[];
  [k: string]: unknown;
};

export const energyPolicies = pgTable(
  "energy_policies",
  {
    id: text("id").primaryKey(),
    orgId: text("org_id")
      .notNull()
      .references(() => orgs.id, { onDelete: "cascade" }),
    name: text("name").notNull(),
    mode: schedulerModeEnum("mode").notNull().default("static"),
    config: jsonb("config").$type<EnergyPolicyConfig>().notNull().default({}),
    description: text("description"),
    /** Bumped on every edit; the artifact version agents see (KV POLICY). */
    version: integer("version").notNull().default(1),
    createdAt: timestamp("created_at", { withTimezone: true }).notNull().defaultNow(),
    updatedAt: timestamp("updated_at", { withTimezone: true }).notNull().defaultNow(),
  },
  (t) => [uniqueIndex("energy_policies_org_name_uq").on(t.orgId, t.name)],
);

export const deviceGroups = pgTable(
  "device_groups",
  {
    id: text("id").primaryKey(),
    orgId: text("org_id")
      .notNull()
      .references(() => orgs.id, { onDelete: "cascade" }),
    name: text("name").notNull(),
    policyId: text("policy_id").references(() => energyPolicies.id, { onDelete: "set null" }),
    createdAt: timestamp("created_at", { withTimezone: true }).notNull().defaultNow(),
  },
  (t) => [uniqueIndex("device_groups_org_name_uq").on(t.orgId, t.name)],
);

export const enrollmentTokens = pgTable(
  "enrollment_tokens",
  {
    id: text("id").primaryKey(),
    orgId: text("org_id")
      .notNull()
      .references(() => orgs.id, { onDelete: "cascade" }),
    groupId: text("group_id").references(() => deviceGroups.id, { onDelete: "set null" }),
    /** sha256 of the secret token; the token itself is shown once and never stored. */
    tokenHash: text("token_hash").notNull(),
    /** First characters of the token, to recognise it in lists. */
    prefix: text("prefix").notNull(),
    label: text("label"),
    maxUses: integer("max_uses").notNull().default(1),
    uses: integer("uses").notNull().default(0),
    expiresAt: timestamp("expires_at", { withTimezone: true }).notNull(),
    revokedAt: timestamp("revoked_at", { withTimezone: true }),
    createdBy: text("created_by").references(() => users.id, { onDelete: "set null" }),
    createdAt: timestamp("created_at", { withTimezone: true }).notNull().defaultNow(),
  },
  (t) => [
    uniqueIndex("enrollment_tokens_hash_uq").on(t.tokenHash),
    index("enrollment_tokens_org_idx").on(t.orgId),
  ],
);

export type DevicePlatform = {
  os: string;
  arch: string;
  hostname?: string;
  cpus?: number;
  memBytes?: number;
};

export const devices = pgTable(
  "devices",
  {
    id: text("id").primaryKey(),
    orgId: text("org_id")
      .notNull()
      .references(() => orgs.id, { onDelete: "cascade" }),
    groupId: text("group_id").references(() => deviceGroups.id, { onDelete: "set null" }),
    name: text("name").notNull(),
    status: deviceStatusEnum("status").notNull().default("enrolled"),
    platform: jsonb("platform").$type<DevicePlatform>().notNull(),
    meters: jsonb("meters").$type<string[]>().notNull().default([]),
    agentVersion: text("agent_version"),
    natsPublicKey: text("nats_public_key"),
    enrollmentTokenId: text("enrollment_token_id").references(() => enrollmentTokens.id, {
      onDelete: "set null",
    }),
    lastHeartbeat: jsonb("last_heartbeat").$type<Heartbeat>(),
    lastSeenAt: timestamp("last_seen_at", { withTimezone: true }),
    createdAt: timestamp("created_at", { withTimezone: true }).notNull().defaultNow(),
    revokedAt: timestamp("revoked_at", { withTimezone: true }),
  },
  (t) => [
    index("devices_org_idx").on(t.orgId, t.createdAt),
    index("devices_group_idx").on(t.groupId),
    // A NATS user key belongs to one device: revoking one device can never revoke another's key.
    uniqueIndex("devices_nats_public_key_uq").on(t.natsPublicKey),
  ],
);
