import type { VariantStatus } from "@edgewatt/protocol";
import { and, asc, eq } from "drizzle-orm";
import type { Db } from "../client";
import { NotFoundError } from "../errors";
import { newId } from "../ids";
import { modelVariants, type VariantMetrics } from "../schema";

export type Variant = typeof modelVariants.$inferSelect;

export type VariantInput = {
  id?: string;
  orgId: string;
  modelId: string;
  jobId?: string | null;
  /** e.g. `fp32` (the original), `int8-dynamic`; unique per model. */
  name: string;
  passes: string[];
  status: VariantStatus;
  error?: string | null;
  objectName?: string | null;
  sha256?: string | null;
  sizeBytes?: number | null;
  metrics?: VariantMetrics;
};

/** Throws on a duplicate (model, name); use `upsertVariant` when re-running a job. */
export async function createVariant(db: Db, input: VariantInput): Promise<Variant> {
  const [row] = await db
    .insert(modelVariants)
    .values({ ...input, id: input.id ?? newId("var") })
    .returning();
  return row!;
}

/**
 * Inserts the variant or, if the model already has one of that name, replaces its contents (keeping
 * its id, so deployments and object names that refer to it stay valid).
 */
export async function upsertVariant(db: Db, input: VariantInput): Promise<Variant> {
  const contents = {
    jobId: input.jobId ?? null,
    passes: input.passes,
    status: input.status,
    error: input.error ?? null,
    objectName: input.objectName ?? null,
    sha256: input.sha256 ?? null,
    sizeBytes: input.sizeBytes ?? null,
    metrics: input.metrics ?? {},
  };
  const [row] = await db
    .insert(modelVariants)
    .values({
      id: input.id ?? newId("var"),
      orgId: input.orgId,
      modelId: input.modelId,
      name: input.name,
      ...contents,
    })
    .onConflictDoUpdate({ target: [modelVariants.modelId, modelVariants.name], set: contents })
    .returning();
  return row!;
}

/** Oldest first: the original (`fp32`) first, then variants in the order they were made. */
export async function findVariantsByModel(db: Db, orgId: string, modelId: string): Promise<Variant[]> {
  return db
    .select()
    .from(modelVariants)
    .where(and(eq(modelVariants.orgId, orgId), eq(modelVariants.modelId, modelId)))
    .orderBy(asc(modelVariants.createdAt), asc(modelVariants.id));
}

export async function getVariant(db: Db, orgId: string, id: string): Promise<Variant> {
  const rows = await db
    .select()
    .from(modelVariants)
    .where(and(eq(modelVariants.orgId, orgId), eq(modelVariants.id, id)))
    .limit(1);
  if (!rows[0]) throw new NotFoundError("variant", id);
  return rows[0];
}

export async function findVariantByName(
  db: Db,
  orgId: string,
  modelId: string,
  name: string,
): Promise<Variant | null> {
  const rows = await db
    .select()
    .from(modelVariants)
    .where(
      and(eq(modelVariants.orgId, orgId), eq(modelVariants.modelId, modelId), eq(modelVariants.name, name)),
    )
    .limit(1);
  return rows[0] ?? null;
}

export async function getVariantByName(
  db: Db,
  orgId: string,
  modelId: string,
  name: string,
): Promise<Variant> {
  const variant = await findVariantByName(db, orgId, modelId, name);
  if (!variant) throw new NotFoundError("variant", `${modelId}/${name}`);
  return variant;
}
