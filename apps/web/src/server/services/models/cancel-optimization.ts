import { cancelJob, type Db, type Job, writeAudit } from "@edgewatt/db";
import { ServiceError } from "../../errors";
import { type Actor, requireWriter } from "../actor";
import { rethrowNotFound } from "../not-found";

/**
 * Cancels a queued or running optimization job of the actor's org. A running job stops at its next pass (the
 * worker checks about once a second); variants it already stored stay.
 */
export async function cancelOptimization(opts: { db: Db; actor: Actor; jobId: string }): Promise<Job> {
  const { db, actor } = opts;
  requireWriter(actor, "cancel optimization jobs");
  return db.transaction(async (tx) => {
    const cancelled = await cancelJob(tx, actor.orgId, opts.jobId).catch(
      rethrowNotFound(`Job ${opts.jobId} does not exist in your organization.`),
    );
    if (!cancelled) {
      throw new ServiceError(
        "CONFLICT",
        `Job ${opts.jobId} has already finished; there is nothing to cancel.`,
      );
    }
    await writeAudit(tx, {
      orgId: actor.orgId,
      actorUserId: actor.userId,
      action: "job.cancel",
      targetType: "optimization_job",
      targetId: cancelled.id,
      details: { modelId: cancelled.modelId },
    });
    return cancelled;
  });
}
