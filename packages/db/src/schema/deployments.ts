import { sql } from "drizzle-orm";
import { check, index, pgEnum, pgTable, text, timestamp, uniqueIndex } from "drizzle-orm/pg-core";
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
