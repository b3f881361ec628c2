import type { Db } from "@edgewatt/db";
import { findModelOverviewsByOrg, type ModelOverview } from "../../data/model-overview";
import type { Actor } from "../actor";

export interface ListModelsOptions {
  db: Db;
  actor: Actor;
}

/** The org's models, newest first, with ladder size and latest job state. Any member may read. */
export async function listModels(opts: ListModelsOptions): Promise<ModelOverview[]> {
  return findModelOverviewsByOrg(opts.db, opts.actor.orgId);
}
