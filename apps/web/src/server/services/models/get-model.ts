import {
  type Db,
  findJobsByModel,
  findVariantsByModel,
  getModel,
  type Job,
  type Model,
  type Variant,
} from "@edgewatt/db";
import type { Actor } from "../actor";
import { rethrowNotFound } from "../not-found";
import { createLadderView, type LadderPoint } from "./ladder-view";

export interface GetModelOptions {
  db: Db;
  actor: Actor;
  modelId: string;
}

export interface ModelDetail {
  model: Model;
  /** The ladder, original (`fp32`) first. */
  variants: Variant[];
  /** Newest first. */
  jobs: Job[];
  /** The ladder's figures with their methods and Pareto fronts (quality against energy and latency). */
  ladder: LadderPoint[];
}

/** One model of the actor's org with its inspection, variant ladder and optimization jobs. */
export async function getModelDetail(opts: GetModelOptions): Promise<ModelDetail> {
  const { db, actor } = opts;
  const model = await getModel(db, actor.orgId, opts.modelId).catch(
    rethrowNotFound(`Model ${opts.modelId} does not exist in your organization; pick one from Models.`),
  );
  const [variants, jobs] = await Promise.all([
    findVariantsByModel(db, actor.orgId, model.id),
    findJobsByModel(db, actor.orgId, model.id),
  ]);
  return { model, variants, jobs, ladder: createLadderView(variants) };
}
