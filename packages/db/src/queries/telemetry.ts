import type { EnergySource, TelemetryBatch } from "@edgewatt/protocol";
import { and, asc, count, desc, eq, gte, max, sql } from "drizzle-orm";
import type { Db } from "../client";
import { telemetrySamples } from "../schema";

export type TelemetryRow = typeof telemetrySamples.$inferSelect;

/**
 * Stores a validated batch exactly once: one INSERT … ON CONFLICT (device_id, boot, seq) DO NOTHING.
 * A redelivered batch inserts nothing; a batch that overlaps stored samples inserts only the new ones.
 */
export async function insertTelemetryBatch(
  db: Db,
  batch: TelemetryBatch,
): Promise<{ inserted: number; duplicates: number }> {
  const rows = batch.samples.map((s) => ({
    orgId: batch.orgId,
    deviceId: batch.deviceId,
    boot: batch.boot,
    seq: s.seq,
    ts: new Date(s.ts),
    kind: s.kind,
    energyJ: s.energyJ,
    energySource: s.energySource,
    durationMs: s.durationMs,
    modelId: s.modelId,
    variant: s.variant,
    threads: s.threads,
    priority: s.priority,
    ok: s.ok,
    batteryPct: s.state.batteryPct,
    powerState: s.state.powerState,
    cpuPct: s.state.cpuPct,
    memBytes: s.state.memBytes,
    queueDepth: s.state.queueDepth,
    decision: s.decision,
    simulated: batch.simulated,
  }));
  if (rows.length === 0) return { inserted: 0, duplicates: 0 };
  const inserted = await db
    .insert(telemetrySamples)
    .values(rows)
    .onConflictDoNothing({ target: [telemetrySamples.deviceId, telemetrySamples.boot, telemetrySamples.seq] })
    .returning({ id: telemetrySamples.id });
  return { inserted: inserted.length, duplicates: rows.length - inserted.length };
}

export type EnergySummaryRow = {
  modelId: string | null;
  variant: string | null;
  /** Figures from different sources are never added together. */
  energySource: EnergySource;
  inferences: number;
  failed: number;
  totalJ: number;
  meanJPerInference: number;
  latencyP50Ms: number;
  latencyP95Ms: number;
  lastTs: Date;
};

/**
 * Per (model, variant, energy source): inference count, total and mean energy per inference, p50/p95
 * latency (duration_ms of `inference` samples) and the last sample time. Periodic samples are not
 * counted. Ordered by model, variant, then source (in ENERGY_SOURCES order).
 */
export async function findDeviceEnergySummary(
  db: Db,
  options: { orgId: string; deviceId: string; since?: Date },
): Promise<EnergySummaryRow[]> {
  const t = telemetrySamples;
  const rows = await db
    .select({
      modelId: t.modelId,
      variant: t.variant,
      energySource: t.energySource,
      inferences: count(),
      failed: sql<number>`count(*) filter (where not ${t.ok})`.mapWith(Number),
      totalJ: sql<number>`sum(${t.energyJ})`.mapWith(Number),
      meanJPerInference: sql<number>`avg(${t.energyJ})`.mapWith(Number),
      latencyP50Ms: sql<number>`percentile_cont(0.5) within group (order by ${t.durationMs})`.mapWith(Number),
      latencyP95Ms: sql<number>`percentile_cont(0.95) within group (order by ${t.durationMs})`.mapWith(
        Number,
      ),
      lastTs: max(t.ts),
    })
    .from(t)
    .where(
      and(
        eq(t.orgId, options.orgId),
        eq(t.deviceId, options.deviceId),
        eq(t.kind, "inference"),
        options.since ? gte(t.ts, options.since) : undefined,
      ),
    )
    .groupBy(t.modelId, t.variant, t.energySource)
    .orderBy(asc(t.modelId), asc(t.variant), asc(t.energySource));
  // Every group has at least one row, so max(ts) is never null.
  return rows.map((r) => ({ ...r, lastTs: r.lastTs! }));
}

/** Newest first; `limit` is clamped to 1..1000. */
export async function findRecentSamples(
  db: Db,
  options: { orgId: string; deviceId: string; limit: number },
): Promise<TelemetryRow[]> {
  const limit = Math.min(Math.max(Math.trunc(options.limit), 1), 1000);
  return db
    .select()
    .from(telemetrySamples)
    .where(and(eq(telemetrySamples.orgId, options.orgId), eq(telemetrySamples.deviceId, options.deviceId)))
    .orderBy(desc(telemetrySamples.ts), desc(telemetrySamples.id))
    .limit(limit);
}

export async function countSamples(
  db: Db,
  options: { orgId: string; deviceId?: string; since?: Date },
): Promise<number> {
  const [row] = await db
    .select({ n: count() })
    .from(telemetrySamples)
    .where(
      and(
        eq(telemetrySamples.orgId, options.orgId),
        options.deviceId !== undefined ? eq(telemetrySamples.deviceId, options.deviceId) : undefined,
        options.since ? gte(telemetrySamples.ts, options.since) : undefined,
      ),
    );
  return row?.n ?? 0;
}
