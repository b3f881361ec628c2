/**
 * Puts an optimization job on the JOBS work queue. Msg-Id = job id, so a retried publish within the
 * stream's duplicate window is stored once. Shared by the upload and "optimize again" use cases.
 */

import type { NatsConnection } from "@edgewatt/nats";
import { encode, subjects, ZJobRequest } from "@edgewatt/protocol";
import { jetstream } from "@nats-io/jetstream";

export interface PublishJobRequestOptions {
  nc: NatsConnection;
  job: { id: string; orgId: string; modelId: string; recipe: string[] };
}

export async function publishJobRequest(opts: PublishJobRequestOptions): Promise<void> {
  const { job } = opts;
  const js = jetstream(opts.nc);
  await js.publish(
    subjects.jobRequest("optimize"),
    encode(ZJobRequest, {
      jobId: job.id,
      orgId: job.orgId,
      kind: "optimize",
      modelId: job.modelId,
      recipe: job.recipe,
    }),
    { msgID: job.id },
  );
}
