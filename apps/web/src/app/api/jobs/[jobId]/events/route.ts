/**
 * GET /api/jobs/<jobId>/events — an optimization job's progress as server-sent events (`event: job`, data: a
 * JobUpdate as JSON), from the current state until the job finishes; `Last-Event-ID` (the step count) resumes
 * without repeating steps. Errors before the stream starts are JSON {error:{code,message}} with 401/404.
 */
import { getSessionClaims } from "@/server/auth";
import { getDb } from "@/server/db";
import { httpErrorResponse } from "@/server/error-mapping";
import { resolveActor } from "@/server/services/auth/resolve-actor";
import { type JobUpdate, watchJob } from "@/server/services/models/watch-job";

export const runtime = "nodejs";
export const dynamic = "force-dynamic";

export async function GET(req: Request, ctx: { params: Promise<{ jobId: string }> }): Promise<Response> {
  try {
    const db = getDb();
    const actor = await resolveActor({ db, claims: await getSessionClaims() });
    const { jobId } = await ctx.params;
    const after = Number(req.headers.get("last-event-id") ?? 0);
    const updates = watchJob({
      db,
      actor,
      jobId,
      afterSteps: Number.isInteger(after) && after > 0 ? after : 0,
      signal: req.signal,
    });
    // The first update is read before answering, so an unknown job is a 404, not an empty stream.
    const first = await updates.next();
    const encoder = new TextEncoder();
    const frame = (u: JobUpdate) =>
      encoder.encode(`id: ${u.stepCount}\nevent: job\ndata: ${JSON.stringify(u)}\n\n`);
    const body = new ReadableStream<Uint8Array>({
      async start(controller) {
        try {
          if (!first.done) controller.enqueue(frame(first.value));
          for await (const update of updates) controller.enqueue(frame(update));
          controller.enqueue(encoder.encode("event: end\ndata: {}\n\n"));
        } catch (err) {
          const message = err instanceof Error ? err.message : String(err);
          controller.enqueue(encoder.encode(`event: error\ndata: ${JSON.stringify({ message })}\n\n`));
        } finally {
          controller.close();
        }
      },
      cancel() {
        void updates.return(undefined);
      },
    });
    return new Response(body, {
      headers: {
        "content-type": "text/event-stream; charset=utf-8",
        "cache-control": "no-store, no-transform",
        connection: "keep-alive",
        "x-accel-buffering": "no",
      },
    });
  } catch (err) {
    return httpErrorResponse("jobs.events", err);
  }
}
