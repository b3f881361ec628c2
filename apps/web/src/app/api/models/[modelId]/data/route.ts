/**
 * POST /api/models/<modelId>/data?kind=calibration|evaluation[&fileName=<name>]
 * Body: the .npz file itself (Content-Type: application/octet-stream), streamed to a temp file under the upload
 * limit. Responds 201 with the stored dataset's summary, or {error:{code,message}}: 400 (not an .npz, or arrays
 * that do not fit the model's inputs — the message says how), 401, 403, 404, 413, 415, 503.
 */
import { z } from "zod";
import { serverEnv } from "@/env";
import { getSessionClaims } from "@/server/auth";
import { getDb } from "@/server/db";
import { httpErrorResponse } from "@/server/error-mapping";
import { ServiceError } from "@/server/errors";
import { getNats } from "@/server/nats";
import { resolveActor } from "@/server/services/auth/resolve-actor";
import { DATASET_KINDS, uploadModelData } from "@/server/services/models/upload-model-data";

export const runtime = "nodejs";
export const dynamic = "force-dynamic";

const ZQuery = z.object({
  kind: z.enum(DATASET_KINDS, { message: 'kind must be "calibration" or "evaluation"' }),
  fileName: z.string().trim().min(1).max(255).default("data.npz"),
});

export async function POST(req: Request, ctx: { params: Promise<{ modelId: string }> }): Promise<Response> {
  try {
    const db = getDb();
    const actor = await resolveActor({ db, claims: await getSessionClaims() });
    const { modelId } = await ctx.params;
    const query = ZQuery.safeParse(Object.fromEntries(new URL(req.url).searchParams));
    if (!query.success) {
      throw new ServiceError(
        "BAD_REQUEST",
        `Invalid upload parameters: ${query.error.issues.map((i) => `${i.path.join(".")}: ${i.message}`).join("; ")}.`,
      );
    }
    const contentType = req.headers.get("content-type")?.split(";")[0]?.trim().toLowerCase();
    if (contentType !== "application/octet-stream") {
      throw new ServiceError(
        "UNSUPPORTED_MEDIA_TYPE",
        `Send the .npz file as the raw request body with Content-Type: application/octet-stream (got ${contentType ?? "none"}).`,
      );
    }
    const length = req.headers.get("content-length");
    const dataset = await uploadModelData({
      db,
      nc: await getNats(),
      actor,
      modelId,
      kind: query.data.kind,
      fileName: query.data.fileName,
      body: req.body,
      contentLength: length !== null && /^\d+$/.test(length) ? Number(length) : null,
      maxBytes: serverEnv().maxUploadBytes,
    });
    return Response.json(dataset, { status: 201 });
  } catch (err) {
    return httpErrorResponse("models.data", err);
  }
}
