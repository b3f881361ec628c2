import { bigint, index, jsonb, pgTable, text, timestamp } from "drizzle-orm/pg-core";

/** Every action that changes state. Not foreign-keyed: the log outlives what it describes. */
export const auditLog = pgTable(
  "audit_log",
  {
    id: bigint("id", { mode: "number" }).primaryKey().generatedAlwaysAsIdentity(),
    orgId: text("org_id").notNull(),
    actorUserId: text("actor_user_id"),
    actorDeviceId: text("actor_device_id"),
    /** verb-first, dotted: `model.upload`, `token.create`, `device.enroll`… */
    action: text("action").notNull(),
    targetType: text("target_type").notNull(),
    targetId: text("target_id"),
    details: jsonb("details").$type<Record<string, unknown>>().notNull().default({}),
    createdAt: timestamp("created_at", { withTimezone: true }).notNull().defaultNow(),
  },
  (t) => [
    index("audit_log_org_ts_idx").on(t.orgId, t.createdAt),
    index("audit_log_action_idx").on(t.orgId, t.action),
  ],
);
