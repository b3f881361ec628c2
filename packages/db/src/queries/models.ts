import { and, desc, eq, sql } from "drizzle-orm";
import type { Db } from "../client";
import { NotFoundError } from "../errors";
import { newId } from "../ids";
import { type ModelDataset, type ModelInspection, models } from "../schema";

export type Model = typeof models.$inferSelect;

export type CreateModelInput = {
  /** Pass one when the object name must contain the id before the row exists; default `mdl_…`. */
  id?: string;
  orgId: string;
  name: string;
  description?: string | null;
  fileName: string;
  objectName: string;
  sha256: string;
  sizeBytes: number;
  inspection: ModelInspection;
  createdBy?: string | null;
};

export async function createModel(db: Db, input: CreateModelInput): Promise<Model> {
  const [row] = await db
    .insert(models)
    .values({ ...input, id: input.id ?? newId("mdl") })
    .returning();
  return row!;
}

/** Newest first. */
export async function findModelsByOrg(db: Db, orgId: string): Promise<Model[]> {
  return db
    .select()
    .from(models)
    .where(eq(models.orgId, orgId))
    .orderBy(desc(models.createdAt), desc(models.id));
}

/** Scoped by org: another org's model is "not found", never returned. */
export async function findModel(db: Db, orgId: string, id: string): Promise<Model | null> {
  const rows = await db
    .select()
    .from(models)
    .where(and(eq(models.orgId, orgId), eq(models.id, id)))
    .limit(1);
  return rows[0] ?? null;
}

export async function getModel(db: Db, orgId: string, id: string): Promise<Model> {
  const model = await findModel(db, orgId, id);
  if (!model) throw new NotFoundError("model", id);
  return model;
}

/** Deletes the model with its variants, jobs and deployments (FK cascade). Returns the deleted row. */
export async function deleteModel(db: Db, orgId: string, id: string): Promise<Model> {
  const [row] = await db
    .delete(models)
    .where(and(eq(models.orgId, orgId), eq(models.id, id)))
    .returning();
  if (!row) throw new NotFoundError("model", id);
  return row;
}

/** Sets (or with null removes) one of a model's datasets; the other one is kept. */
export async function setModelDataset(
  db: Db,
  orgId: string,
  modelId: string,
  kind: "calibration" | "evaluation",
  dataset: ModelDataset | null,
): Promise<Model> {
  const value =
    dataset === null
      ? sql`${models.datasets} - ${kind}::text`
      : sql`${models.datasets} || jsonb_build_object(${kind}::text, ${JSON.stringify(dataset)}::jsonb)`;
  const [row] = await db
    .update(models)
    .set({ datasets: value })
    .where(and(eq(models.orgId, orgId), eq(models.id, modelId)))
    .returning();
  if (!row) throw new NotFoundError("model", modelId);
  return row;
}
