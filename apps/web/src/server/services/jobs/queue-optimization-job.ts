/**
 * Publishes a job that already has its row. When the broker refuses, the job is marked failed with a
 * message saying how to retry, so it never sits "queued" forever with nobody to run it.
 */
import { type Db, finishJob, type Job } from "@edgewatt/db";
import type { NatsConnection } from "@edgewatt/nats";
import { publishJobRequest } from "./publish-job-request";

export interface QueueOptimizationJobOptions {
  db: Db;
  nc: NatsConnection;
  job: Pick<Job, "id" | "orgId" | "modelId" | "recipe">;
}

/** Returns true when the job was queued, false when it was marked failed instead. */
export async function queueOptimizationJob(opts: QueueOptimizationJobOptions): Promise<boolean> {
  try {
    await publishJobRequest({ nc: opts.nc, job: opts.job });
    return true;
  } catch (err) {
    const reason = err instanceof Error ? err.message : String(err);
    console.error(
      JSON.stringify({
        level: "error",
        component: "web",
        msg: "job publish failed",
        jobId: opts.job.id,
        reason,
      }),
    );
    await finishJob(
      opts.db,
      opts.job.id,
      "failed",
      `The job could not be queued (${reason}). Check that NATS and the worker are running, then use "Optimize again".`,
    );
    return false;
  }
}
