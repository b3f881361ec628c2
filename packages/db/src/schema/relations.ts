/**
 * Relations for drizzle's relational queries (`db.query.devices.findMany({ with: { group: true } })`).
 * They describe the foreign keys declared on the tables; they create nothing in SQL.
 */
import { relations } from "drizzle-orm";
import { accounts, sessions, users } from "./auth";
import { deployments } from "./deployments";
import { deviceGroups, devices, energyPolicies, enrollmentTokens } from "./devices";
import { models, modelVariants, optimizationJobs } from "./models";
import { memberships, orgs } from "./orgs";

export const usersRelations = relations(users, ({ many }) => ({
  memberships: many(memberships),
  accounts: many(accounts),
  sessions: many(sessions),
}));

export const accountsRelations = relations(accounts, ({ one }) => ({
  user: one(users, { fields: [accounts.userId], references: [users.id] }),
}));

export const sessionsRelations = relations(sessions, ({ one }) => ({
  user: one(users, { fields: [sessions.userId], references: [users.id] }),
}));

export const orgsRelations = relations(orgs, ({ many }) => ({
  memberships: many(memberships),
  models: many(models),
  devices: many(devices),
  deviceGroups: many(deviceGroups),
  energyPolicies: many(energyPolicies),
}));

export const membershipsRelations = relations(memberships, ({ one }) => ({
  org: one(orgs, { fields: [memberships.orgId], references: [orgs.id] }),
  user: one(users, { fields: [memberships.userId], references: [users.id] }),
}));

export const modelsRelations = relations(models, ({ one, many }) => ({
  org: one(orgs, { fields: [models.orgId], references: [orgs.id] }),
  variants: many(modelVariants),
  jobs: many(optimizationJobs),
  deployments: many(deployments),
}));

export const optimizationJobsRelations = relations(optimizationJobs, ({ one, many }) => ({
  model: one(models, { fields: [optimizationJobs.modelId], references: [models.id] }),
  variants: many(modelVariants),
}));

export const modelVariantsRelations = relations(modelVariants, ({ one }) => ({
  model: one(models, { fields: [modelVariants.modelId], references: [models.id] }),
  job: one(optimizationJobs, { fields: [modelVariants.jobId], references: [optimizationJobs.id] }),
}));

export const energyPoliciesRelations = relations(energyPolicies, ({ one, many }) => ({
  org: one(orgs, { fields: [energyPolicies.orgId], references: [orgs.id] }),
  groups: many(deviceGroups),
}));

export const deviceGroupsRelations = relations(deviceGroups, ({ one, many }) => ({
  org: one(orgs, { fields: [deviceGroups.orgId], references: [orgs.id] }),
  policy: one(energyPolicies, { fields: [deviceGroups.policyId], references: [energyPolicies.id] }),
  devices: many(devices),
  enrollmentTokens: many(enrollmentTokens),
}));

export const enrollmentTokensRelations = relations(enrollmentTokens, ({ one }) => ({
  org: one(orgs, { fields: [enrollmentTokens.orgId], references: [orgs.id] }),
  group: one(deviceGroups, { fields: [enrollmentTokens.groupId], references: [deviceGroups.id] }),
}));

export const devicesRelations = relations(devices, ({ one, many }) => ({
  org: one(orgs, { fields: [devices.orgId], references: [orgs.id] }),
  group: one(deviceGroups, { fields: [devices.groupId], references: [deviceGroups.id] }),
  enrollmentToken: one(enrollmentTokens, {
    fields: [devices.enrollmentTokenId],
    references: [enrollmentTokens.id],
  }),
  deployments: many(deployments),
}));

export const deploymentsRelations = relations(deployments, ({ one }) => ({
  org: one(orgs, { fields: [deployments.orgId], references: [orgs.id] }),
  model: one(models, { fields: [deployments.modelId], references: [models.id] }),
  device: one(devices, { fields: [deployments.deviceId], references: [devices.id] }),
  group: one(deviceGroups, { fields: [deployments.groupId], references: [deviceGroups.id] }),
  policy: one(energyPolicies, { fields: [deployments.policyId], references: [energyPolicies.id] }),
}));
