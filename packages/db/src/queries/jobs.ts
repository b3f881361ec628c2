import type { JobStatus } from "@edgewatt/protocol";
import { and, desc, eq, inArray, ne, sql } from "drizzle-orm";
import type { Db } from "../client";
import { InvalidInputError, NotFoundError } from "../errors";
import { newId } from "../ids";
import { type JobSettings, type JobStep, optimizationJobs } from "../schema";

export type Job = typeof optimizationJobs.$inferSelect;
export type FinishedJobStatus = Extract<JobStatus, "succeeded" | "failed" | "cancelled">;

export type CreateJobInput = {
  id?: string;
  orgId: string;
  modelId: string;
  /** Pass names in order, e.g. ["fold-batchnorm", "quantize-dynamic"]. */
  recipe: string[];
  createdBy?: string | null;
  settings?: JobSettings;
};

export async function createJob(db: Db, input: CreateJobInput): Promise<Job> {
  const [row] = await db
    .insert(optimizationJobs)
    .values({ ...input, id: input.id ?? newId("job") })
    .returning();
  return row!;
}

export async function getJob(db: Db, orgId: string, id: string): Promise<Job> {
  const rows = await db
    .select()
    .from(optimizationJobs)
    .where(and(eq(optimizationJobs.orgId, orgId), eq(optimizationJobs.id, id)))
    .limit(1);
  if (!rows[0]) throw new NotFoundError("job", id);
  return rows[0];
}

/** Newest first. */
export async function findJobsByModel(db: Db, orgId: string, modelId: string): Promise<Job[]> {
  return db
    .select()
    .from(optimizationJobs)
    .where(and(eq(optimizationJobs.orgId, orgId), eq(optimizationJobs.modelId, modelId)))
    .orderBy(desc(optimizationJobs.createdAt), desc(optimizationJobs.id));
}

/**
 * A worker took the job. Returns the job, now `running`, or null when it has already finished or was
 * cancelled (a redelivered request: ack it and move on). A job that was `running` (its worker died)
 * is taken over and keeps its steps.
 */
export async function markJobRunning(db: Db, jobId: string): Promise<Job | null> {
  const [row] = await db
    .update(optimizationJobs)
    .set({ status: "running", startedAt: sql`coalesce(${optimizationJobs.startedAt}, now())`, error: null })
    .where(and(eq(optimizationJobs.id, jobId), inArray(optimizationJobs.status, ["queued", "running"])))
    .returning();
  if (row) return row;
  await assertJobExists(db, jobId);
  return null;
}

/** Records a progress step; `fraction` is the whole job's progress, 0..1 (stored as a percentage). */
export async function appendJobStep(db: Db, jobId: string, step: JobStep, fraction: number): Promise<Job> {
  if (!Number.isFinite(fraction) || fraction < 0 || fraction > 1) {
    throw new InvalidInputError(`job progress must be a fraction between 0 and 1, got ${fraction}`);
  }
  const [row] = await db
    .update(optimizationJobs)
    .set({
      steps: sql`${optimizationJobs.steps} || ${JSON.stringify([step])}::jsonb`,
      fraction: Math.round(fraction * 100),
    })
    .where(eq(optimizationJobs.id, jobId))
    .returning();
  if (!row) throw new NotFoundError("job", jobId);
  return row;
}

export async function finishJob(
  db: Db,
  jobId: string,
  status: FinishedJobStatus,
  error?: string | null,
): Promise<Job> {
  // A job the user cancelled stays cancelled, whatever the worker was about to record.
  const [row] = await db
    .update(optimizationJobs)
    .set({
      status,
      error: error ?? null,
      finishedAt: sql`now()`,
      ...(status === "succeeded" ? { fraction: 100 } : {}),
    })
    .where(and(eq(optimizationJobs.id, jobId), ne(optimizationJobs.status, "cancelled")))
    .returning();
  if (row) return row;
  const [current] = await db.select().from(optimizationJobs).where(eq(optimizationJobs.id, jobId)).limit(1);
  if (!current) throw new NotFoundError("job", jobId);
  return current;
}

/**
 * Cancels a queued or running job of the org: null when it had already finished (nothing to cancel). The worker
 * notices at its next check (between passes) and stops.
 */
export async function cancelJob(db: Db, orgId: string, jobId: string): Promise<Job | null> {
  const [row] = await db
    .update(optimizationJobs)
    .set({ status: "cancelled", finishedAt: sql`now()`, error: "cancelled by a user" })
    .where(
      and(
        eq(optimizationJobs.orgId, orgId),
        eq(optimizationJobs.id, jobId),
        inArray(optimizationJobs.status, ["queued", "running"]),
      ),
    )
    .returning();
  if (row) return row;
  await getJob(db, orgId, jobId);
  return null;
}

/** The job's status alone (the worker polls it to notice a cancellation). */
export async function findJobStatus(db: Db, jobId: string): Promise<JobStatus | null> {
  const [row] = await db
    .select({ status: optimizationJobs.status })
    .from(optimizationJobs)
    .where(eq(optimizationJobs.id, jobId))
    .limit(1);
  return row?.status ?? null;
}

async function assertJobExists(db: Db, jobId: string): Promise<void> {
  const rows = await db
    .select({ id: optimizationJobs.id })
    .from(optimizationJobs)
    .where(eq(optimizationJobs.id, jobId))
    .limit(1);
  if (rows.length === 0) throw new NotFoundError("job", jobId);
}
