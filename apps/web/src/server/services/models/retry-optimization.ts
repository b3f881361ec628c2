import { type Db, getJob, type Job } from "@edgewatt/db";
import type { NatsConnection } from "@edgewatt/nats";
import { ServiceError } from "../../errors";
import { type Actor, requireWriter } from "../actor";
import { rethrowNotFound } from "../not-found";
import { startOptimization } from "./start-optimization";

/** A failed or cancelled job again: a new job with the same recipe and settings (the old one stays as it was). */
export async function retryOptimization(opts: {
  db: Db;
  nc: NatsConnection;
  actor: Actor;
  jobId: string;
}): Promise<{ job: Job; queued: boolean }> {
  requireWriter(opts.actor, "retry optimization jobs");
  const previous = await getJob(opts.db, opts.actor.orgId, opts.jobId).catch(
    rethrowNotFound(`Job ${opts.jobId} does not exist in your organization.`),
  );
  if (previous.status !== "failed" && previous.status !== "cancelled") {
    throw new ServiceError(
      "CONFLICT",
      `Job ${previous.id} is ${previous.status}; only a failed or cancelled job can be retried.`,
    );
  }
  return startOptimization({
    db: opts.db,
    nc: opts.nc,
    actor: opts.actor,
    modelId: previous.modelId,
    recipe: previous.recipe,
    settings: previous.settings,
  });
}
