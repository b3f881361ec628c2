import { createJob, type Db, getModel, type Job, newId, writeAudit } from "@edgewatt/db";
import type { JobSettings } from "@edgewatt/db/schema";
import { AUTO_RECIPE, CALIBRATION_METHODS, isKnownRecipeEntry, listPasses } from "@edgewatt/engine";
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
  /** How passes run for this job: the accuracy-aware goal, the static-int8 calibration method. */
  settings?: JobSettings;
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
  const settings = checkSettings(opts.settings ?? {});
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
      settings,
    });
    await writeAudit(tx, {
      orgId: actor.orgId,
      actorUserId: actor.userId,
      action: "job.create",
      targetType: "optimization_job",
      targetId: created.id,
      details: { modelId: model.id, recipe: opts.recipe, settings },
    });
    return created;
  });
  const queued = await queueOptimizationJob({ db, nc, job });
  return { job, queued };
}

/** The settings a job may carry, checked with messages a user can act on. */
function checkSettings(settings: JobSettings): JobSettings {
  const out: JobSettings = {};
  const goal = settings.goal;
  if (goal && (goal.maxAccuracyDrop !== undefined || goal.maxFidelityLoss !== undefined)) {
    const { maxAccuracyDrop, maxFidelityLoss } = goal;
    if (maxAccuracyDrop !== undefined && !(maxAccuracyDrop >= 0 && maxAccuracyDrop <= 100)) {
      throw new ServiceError(
        "BAD_REQUEST",
        `The accuracy goal must allow a drop of 0 to 100 percentage points (got ${maxAccuracyDrop}).`,
      );
    }
    if (maxFidelityLoss !== undefined && !(maxFidelityLoss >= 0 && maxFidelityLoss <= 2)) {
      throw new ServiceError(
        "BAD_REQUEST",
        `The fidelity goal must allow a loss of 0 to 2 (1 − cosine similarity; got ${maxFidelityLoss}).`,
      );
    }
    out.goal = {
      ...(maxAccuracyDrop !== undefined ? { maxAccuracyDrop } : {}),
      ...(maxFidelityLoss !== undefined ? { maxFidelityLoss } : {}),
    };
  }
  if (settings.calibration !== undefined) {
    if (!(CALIBRATION_METHODS as readonly string[]).includes(settings.calibration)) {
      throw new ServiceError(
        "BAD_REQUEST",
        `Unknown calibration method "${settings.calibration}"; use one of ${CALIBRATION_METHODS.join(", ")}.`,
      );
    }
    out.calibration = settings.calibration;
  }
  return out;
}
