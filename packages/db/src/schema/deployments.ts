import { index, pgEnum, pgTable, text, timestamp } from "drizzle-orm/pg-core";
import { users } from "./auth";
import { deviceGroups, devices, energyPolicies } from "./devices";
import { models } from "./models";
import { orgs } from "./orgs";

export const DEPLOYMENT_STATUSES = ["active", "superseded", "rolled_back"] as const;
export const deploymentStatusEnum = pgEnum("deployment_status", DEPLOYMENT_STATUSES);

/** A model's ladder (and a policy) assigned to one device or to a device group. */
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
  ],
);
