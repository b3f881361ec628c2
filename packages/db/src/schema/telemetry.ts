import { ENERGY_SOURCES, POWER_STATES, PRIORITIES, type TelemetrySample } from "@edgewatt/protocol";
import {
  bigint,
  boolean,
  doublePrecision,
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

export type TelemetryDecision = NonNullable<TelemetrySample["decision"]>;

export const energySourceEnum = pgEnum("energy_source", ENERGY_SOURCES);
export const priorityEnum = pgEnum("priority", PRIORITIES);
export const powerStateEnum = pgEnum("power_state", POWER_STATES);
export const sampleKindEnum = pgEnum("sample_kind", ["inference", "periodic"]);

/**
 * One row per telemetry sample. (device_id, boot, seq) is unique: telemetry is at-least-once on the
 * wire and exactly-once here. Not foreign-keyed to devices so that ingestion never blocks on them.
 */
export const telemetrySamples = pgTable(
  "telemetry_samples",
  {
    id: bigint("id", { mode: "number" }).primaryKey().generatedAlwaysAsIdentity(),
    orgId: text("org_id").notNull(),
    deviceId: text("device_id").notNull(),
    boot: text("boot").notNull(),
    seq: bigint("seq", { mode: "number" }).notNull(),
    ts: timestamp("ts", { withTimezone: true }).notNull(),
    kind: sampleKindEnum("kind").notNull(),
    energyJ: doublePrecision("energy_j").notNull(),
    energySource: energySourceEnum("energy_source").notNull(),
    durationMs: doublePrecision("duration_ms").notNull(),
    modelId: text("model_id"),
    variant: text("variant"),
    threads: integer("threads"),
    priority: priorityEnum("priority"),
    ok: boolean("ok").notNull().default(true),
    batteryPct: real("battery_pct"),
    powerState: powerStateEnum("power_state").notNull().default("unknown"),
    cpuPct: real("cpu_pct"),
    memBytes: bigint("mem_bytes", { mode: "number" }),
    queueDepth: integer("queue_depth").notNull().default(0),
    /** Why the scheduler ran this variant (inference samples): reason, policy mode/version, wanted variant. */
    decision: jsonb("decision").$type<TelemetryDecision>(),
    simulated: boolean("simulated").notNull().default(false),
    receivedAt: timestamp("received_at", { withTimezone: true }).notNull().defaultNow(),
  },
  (t) => [
    uniqueIndex("telemetry_samples_device_boot_seq_uq").on(t.deviceId, t.boot, t.seq),
    index("telemetry_samples_org_ts_idx").on(t.orgId, t.ts),
    index("telemetry_samples_device_ts_idx").on(t.deviceId, t.ts),
  ],
);
