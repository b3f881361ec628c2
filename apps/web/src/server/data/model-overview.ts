/**
 * Read models the portal needs that @edgewatt/db does not offer (yet): one query for the model list
 * with ladder and job summaries. Candidates to move into packages/db/src/queries.
 */
import type { Db } from "@edgewatt/db";
import { models, modelVariants, optimizationJobs } from "@edgewatt/db/schema";
import type { JobStatus } from "@edgewatt/protocol";
import { and, count, desc, eq } from "drizzle-orm";

export interface ModelOverview {
  id: string;
  name: string;
  fileName: string;
  sizeBytes: number;
  params: number;
  macs: number | null;
  createdAt: Date;
  readyVariants: number;
  latestJob: { status: JobStatus; fractionPct: number } | null;
}

export async function findModelOverviewsByOrg(db: Db, orgId: string): Promise<ModelOverview[]> {
  const readyCounts = db
    .select({ modelId: modelVariants.modelId, ready: count().as("ready") })
    .from(modelVariants)
    .where(and(eq(modelVariants.orgId, orgId), eq(modelVariants.status, "ready")))
    .groupBy(modelVariants.modelId)
    .as("ready_counts");
  const latestJobs = db
    .selectDistinctOn([optimizationJobs.modelId], {
      modelId: optimizationJobs.modelId,
      status: optimizationJobs.status,
      fractionPct: optimizationJobs.fraction,
    })
    .from(optimizationJobs)
    .where(eq(optimizationJobs.orgId, orgId))
    .orderBy(optimizationJobs.modelId, desc(optimizationJobs.createdAt), desc(optimizationJobs.id))
    .as("latest_jobs");
  const rows = await db
    .select({
      id: models.id,
      name: models.name,
      fileName: models.fileName,
      sizeBytes: models.sizeBytes,
      inspection: models.inspection,
      createdAt: models.createdAt,
      ready: readyCounts.ready,
      jobStatus: latestJobs.status,
      jobPct: latestJobs.fractionPct,
    })
    .from(models)
    .leftJoin(readyCounts, eq(readyCounts.modelId, models.id))
    .leftJoin(latestJobs, eq(latestJobs.modelId, models.id))
    .where(eq(models.orgId, orgId))
    .orderBy(desc(models.createdAt), desc(models.id));
  return rows.map((r) => ({
    id: r.id,
    name: r.name,
    fileName: r.fileName,
    sizeBytes: r.sizeBytes,
    params: r.inspection.params,
    macs: r.inspection.macs,
    createdAt: r.createdAt,
    readyVariants: Number(r.ready ?? 0),
    latestJob: r.jobStatus ? { status: r.jobStatus, fractionPct: Number(r.jobPct ?? 0) } : null,
  }));
}
