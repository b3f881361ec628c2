import { createJob, type Db, getModel, type Job, newId, writeAudit } from "@edgewatt/db";
import { AUTO_RECIPE, isKnownRecipeEntry, listPasses } from "@edgewatt/engine";
import type { NatsConnection } from "@edgewatt/nats";
import { ServiceError } from "../../errors";
import { type Actor, requireWriter } from "../actor";
import { queueOptimizationJob } from "../jobs/queue-optimization-job";
import { rethrowNotFound } from "../not-found";

export interface StartOptimizationOptions {
  db: Db;
  nc: NatsConnection;
  actor: Actor;
  modelId: string;
  /** Pass names in order (or `auto`, the standard ladder), validated at the boundary (non-empty). */
  recipe: string[];
}

/** "Optimize again": a new job row for the model, then the job request on the JOBS queue. */
export async function startOptimization(
  opts: StartOptimizationOptions,
): Promise<{ job: Job; queued: boolean }> {
  const { db, nc, actor } = opts;
  requireWriter(actor, "start optimization jobs");
  const unknown = opts.recipe.filter((name) => !isKnownRecipeEntry(name));
  if (unknown.length > 0) {
    const known = [`${AUTO_RECIPE} (the standard ladder)`, ...listPasses().map((p) => p.name)].join(", ");
    throw new ServiceError(
      "BAD_REQUEST",
      `Unknown optimization pass(es): ${unknown.join(", ")}. Known passes: ${known}.`,
    );
  }
  const job = await db.transaction(async (tx) => {
    const model = await getModel(tx, actor.orgId, opts.modelId).catch(
      rethrowNotFound(`Model ${opts.modelId} does not exist in your organization; pick one from Models.`),
    );
    const created = await createJob(tx, {
      id: newId("job"),
      orgId: actor.orgId,
      modelId: model.id,
      recipe: opts.recipe,
      createdBy: actor.userId,
    });
    await writeAudit(tx, {
      orgId: actor.orgId,
      actorUserId: actor.userId,
      action: "job.create",
      targetType: "optimization_job",
      targetId: created.id,
      details: { modelId: model.id, recipe: opts.recipe },
    });
    return created;
  });
  const queued = await queueOptimizationJob({ db, nc, job });
  return { job, queued };
}
