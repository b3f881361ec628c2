import { sql } from "drizzle-orm";
import {
  check,
  index,
  integer,
  jsonb,
  pgEnum,
  pgTable,
  real,
  text,
  timestamp,
  uniqueIndex,
} from "drizzle-orm/pg-core";
import { users } from "./auth";
import { deviceGroups, devices, energyPolicies } from "./devices";
import { models } from "./models";
import { orgs } from "./orgs";

export const DEPLOYMENT_STATUSES = ["active", "superseded", "rolled_back"] as const;
export const deploymentStatusEnum = pgEnum("deployment_status", DEPLOYMENT_STATUSES);

/**
 * A model's ladder (and a policy) assigned to exactly one device or to one device group. A device or a
 * group has at most one `active` deployment; a device's own deployment wins over its group's.
 */
export const deployments = pgTable(
  "deployments",
  {
    id: text("id").primaryKey(),
    orgId: text("org_id")
      .notNull()
      .references(() => orgs.id, { onDelete: "cascade" }),
    modelId: text("model_id")
      .notNull()
      .references(() => models.id, { onDelete: "cascade" }),
    groupId: text("group_id").references(() => deviceGroups.id, { onDelete: "cascade" }),
    deviceId: text("device_id").references(() => devices.id, { onDelete: "cascade" }),
    policyId: text("policy_id").references(() => energyPolicies.id, { onDelete: "set null" }),
    /** The variant a `static` policy runs. */
    variantName: text("variant_name").notNull(),
    status: deploymentStatusEnum("status").notNull().default("active"),
    createdBy: text("created_by").references(() => users.id, { onDelete: "set null" }),
    createdAt: timestamp("created_at", { withTimezone: true }).notNull().defaultNow(),
  },
  (t) => [
    index("deployments_org_idx").on(t.orgId, t.createdAt),
    index("deployments_device_idx").on(t.deviceId),
    index("deployments_group_idx").on(t.groupId),
    uniqueIndex("deployments_device_active_uq")
      .on(t.deviceId)
      .where(sql`status = 'active' and device_id is not null`),
    uniqueIndex("deployments_group_active_uq")
      .on(t.groupId)
      .where(sql`status = 'active' and group_id is not null`),
    check("deployments_target_ck", sql`(device_id is null) <> (group_id is null)`),
  ],
);

export const ROLLOUT_STATUSES = ["canary", "promoted", "halted", "rolled_back"] as const;
export type RolloutStatus = (typeof ROLLOUT_STATUSES)[number];
export const rolloutStatusEnum = pgEnum("rollout_status", ROLLOUT_STATUSES);

/** Energy per inference and error rate of a set of devices over a window, by energy source. */
export type RolloutFigures = {
  samples: number;
  errorRate: number | null;
  energyJPerInference: number | null;
  /** The energy source the figure is in (never a mix). */
  source: string | null;
  from: string;
  to: string;
};

export type RolloutEvaluation = {
  at: string;
  canary: RolloutFigures;
  verdict: "waiting" | "healthy" | "regressed";
  reasons: string[];
};

/**
 * A staged rollout of a model (and policy) to a device group: first to a canary share of its devices, then —
 * promoted by a person — to all of them. While in canary the worker compares the canary's error rate and energy
 * per inference with the baseline taken before the rollout, and halts and rolls back past the thresholds.
 */
export const rollouts = pgTable(
  "rollouts",
  {
    id: text("id").primaryKey(),
    orgId: text("org_id")
      .notNull()
      .references(() => orgs.id, { onDelete: "cascade" }),
    modelId: text("model_id")
      .notNull()
      .references(() => models.id, { onDelete: "cascade" }),
    groupId: text("group_id")
      .notNull()
      .references(() => deviceGroups.id, { onDelete: "cascade" }),
    policyId: text("policy_id").references(() => energyPolicies.id, { onDelete: "set null" }),
    variantName: text("variant_name").notNull(),
    canaryPct: integer("canary_pct").notNull(),
    status: rolloutStatusEnum("status").notNull().default("canary"),
    /** Halt when the canary's failed-inference share exceeds this (0..1). */
    maxErrorRate: real("max_error_rate").notNull().default(0.05),
    /** Halt when the canary's energy per inference exceeds the baseline by more than this percentage. */
    maxEnergyRegressionPct: real("max_energy_regression_pct").notNull().default(20),
    /** Inferences the canary must have reported before a verdict. */
    minCanarySamples: integer("min_canary_samples").notNull().default(50),
    canaryDeviceIds: jsonb("canary_device_ids").$type<string[]>().notNull(),
    /** Per device: its KV DEPLOY value before the rollout (base64), or null when it had none — for rollback. */
    previousAssignments: jsonb("previous_assignments").$type<Record<string, string | null>>().notNull(),
    /** Per device that received the rollout: its deployment id. */
    deploymentIds: jsonb("deployment_ids").$type<Record<string, string>>().notNull().default({}),
    baseline: jsonb("baseline").$type<RolloutFigures | null>(),
    lastEvaluation: jsonb("last_evaluation").$type<RolloutEvaluation | null>(),
    reason: text("reason"),
    createdBy: text("created_by").references(() => users.id, { onDelete: "set null" }),
    createdAt: timestamp("created_at", { withTimezone: true }).notNull().defaultNow(),
    promotedAt: timestamp("promoted_at", { withTimezone: true }),
    finishedAt: timestamp("finished_at", { withTimezone: true }),
  },
  (t) => [
    index("rollouts_org_idx").on(t.orgId, t.createdAt),
    uniqueIndex("rollouts_group_canary_uq").on(t.groupId).where(sql`status = 'canary'`),
  ],
);
