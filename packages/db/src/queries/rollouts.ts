import { and, desc, eq, inArray, sql } from "drizzle-orm";
import type { Db } from "../client";
import { NotFoundError } from "../errors";
import { newId } from "../ids";
import { type RolloutFigures, rollouts, telemetrySamples } from "../schema";

export type Rollout = typeof rollouts.$inferSelect;
export type NewRollout = Omit<typeof rollouts.$inferInsert, "id"> & { id?: string };

export async function createRollout(db: Db, input: NewRollout): Promise<Rollout> {
  const [row] = await db
    .insert(rollouts)
    .values({ ...input, id: input.id ?? newId("rol") })
    .returning();
  return row!;
}

export async function getRollout(db: Db, orgId: string, id: string): Promise<Rollout> {
  const [row] = await db
    .select()
    .from(rollouts)
    .where(and(eq(rollouts.orgId, orgId), eq(rollouts.id, id)))
    .limit(1);
  if (!row) throw new NotFoundError("rollout", id);
  return row;
}

/** Newest first. */
export async function findRolloutsByOrg(db: Db, orgId: string, limit = 100): Promise<Rollout[]> {
  return db
    .select()
    .from(rollouts)
    .where(eq(rollouts.orgId, orgId))
    .orderBy(desc(rollouts.createdAt), desc(rollouts.id))
    .limit(limit);
}

/** Every org's rollouts still in canary (the worker evaluates them). */
export async function findCanaryRollouts(db: Db): Promise<Rollout[]> {
  return db.select().from(rollouts).where(eq(rollouts.status, "canary"));
}

/** Updates a rollout only while it is in `fromStatus` (so a person and the worker never both act on it). */
export async function updateRollout(
  db: Db,
  orgId: string,
  id: string,
  fromStatus: Rollout["status"],
  changes: Partial<
    Pick<Rollout, "status" | "lastEvaluation" | "reason" | "deploymentIds" | "promotedAt" | "finishedAt">
  >,
): Promise<Rollout | null> {
  const [row] = await db
    .update(rollouts)
    .set(changes)
    .where(and(eq(rollouts.orgId, orgId), eq(rollouts.id, id), eq(rollouts.status, fromStatus)))
    .returning();
  return row ?? null;
}

/**
 * Inference figures of some devices over [from, to): how many, the failed share, and energy per inference in
 * the source most of them were measured with (`source`; samples of other sources are left out, never mixed).
 * `modelId` narrows to one model's inferences.
 */
export async function measureDevices(
  db: Db,
  orgId: string,
  deviceIds: readonly string[],
  window: { from: Date; to: Date; modelId?: string },
): Promise<RolloutFigures> {
  const empty: RolloutFigures = {
    samples: 0,
    errorRate: null,
    energyJPerInference: null,
    source: null,
    from: window.from.toISOString(),
    to: window.to.toISOString(),
  };
  if (deviceIds.length === 0) return empty;
  const where = and(
    eq(telemetrySamples.orgId, orgId),
    inArray(telemetrySamples.deviceId, [...deviceIds]),
    eq(telemetrySamples.kind, "inference"),
    sql`${telemetrySamples.ts} >= ${window.from.toISOString()}::timestamptz`,
    sql`${telemetrySamples.ts} < ${window.to.toISOString()}::timestamptz`,
    ...(window.modelId ? [eq(telemetrySamples.modelId, window.modelId)] : []),
  );
  const rows = await db
    .select({
      source: telemetrySamples.energySource,
      samples: sql<number>`count(*)::int`,
      failed: sql<number>`count(*) filter (where not ${telemetrySamples.ok})::int`,
      okSamples: sql<number>`count(*) filter (where ${telemetrySamples.ok})::int`,
      energy: sql<number | null>`avg(${telemetrySamples.energyJ}) filter (where ${telemetrySamples.ok})`,
    })
    .from(telemetrySamples)
    .where(where)
    .groupBy(telemetrySamples.energySource)
    .orderBy(desc(sql`count(*)`));
  if (rows.length === 0) return empty;
  const samples = rows.reduce((n, r) => n + Number(r.samples), 0);
  const failed = rows.reduce((n, r) => n + Number(r.failed), 0);
  const main = rows[0]!;
  return {
    ...empty,
    samples,
    errorRate: samples > 0 ? failed / samples : null,
    energyJPerInference: main.energy === null ? null : Number(main.energy),
    source: main.source,
  };
}
