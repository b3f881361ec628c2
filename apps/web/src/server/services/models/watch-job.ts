import { type Db, getJob, type Job } from "@edgewatt/db";
import type { Actor } from "../actor";
import { rethrowNotFound } from "../not-found";

export interface JobUpdate {
  id: string;
  status: Job["status"];
  fraction: number;
  error: string | null;
  /** Steps recorded since the previous update (all of them in the first). */
  steps: Job["steps"];
  stepCount: number;
}

const FINISHED = new Set<Job["status"]>(["succeeded", "failed", "cancelled"]);

/**
 * A job's progress as it changes, for the live view (server-sent events): the first update carries the whole
 * job, then one update per change (new steps, fraction, status), ending after the job finishes. Reads the job row
 * the worker writes, so it works whichever worker runs the job and survives reconnects (`afterSteps`).
 */
export async function* watchJob(opts: {
  db: Db;
  actor: Actor;
  jobId: string;
  pollMs?: number;
  afterSteps?: number;
  signal?: AbortSignal;
}): AsyncGenerator<JobUpdate> {
  const { db, actor } = opts;
  let seen = opts.afterSteps ?? 0;
  let last = "";
  for (;;) {
    if (opts.signal?.aborted) return;
    const job = await getJob(db, actor.orgId, opts.jobId).catch(
      rethrowNotFound(`Job ${opts.jobId} does not exist in your organization.`),
    );
    const key = `${job.status}:${job.fraction}:${job.steps.length}:${job.error ?? ""}`;
    if (key !== last) {
      last = key;
      yield {
        id: job.id,
        status: job.status,
        fraction: job.fraction,
        error: job.error,
        steps: job.steps.slice(seen),
        stepCount: job.steps.length,
      };
      seen = job.steps.length;
    }
    if (FINISHED.has(job.status)) return;
    await new Promise<void>((resolve) => {
      const timer = setTimeout(resolve, opts.pollMs ?? 500);
      opts.signal?.addEventListener(
        "abort",
        () => {
          clearTimeout(timer);
          resolve();
        },
        { once: true },
      );
    });
  }
}
