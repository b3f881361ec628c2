/**
 * POST /api/models/upload?name=<name>[&fileName=<file name>]
 * Body: the .onnx file itself (Content-Type: application/octet-stream), streamed, never buffered whole
 * by the route. Responds 201 {modelId, jobId, sha256, sizeBytes, jobQueued}, or an error
 * {error:{code,message}}: 400, 401, 403, 413 (over EDGEWATT_MAX_UPLOAD_BYTES), 415, 422 (not a valid
 * ONNX model; the message says what is wrong), 503 (NATS unreachable).
 */
import { z } from "zod";
import { serverEnv } from "@/env";
import { getSessionClaims } from "@/server/auth";
import { getDb } from "@/server/db";
import { httpErrorResponse } from "@/server/error-mapping";
import { ServiceError } from "@/server/errors";
import { getNats } from "@/server/nats";
import { resolveActor } from "@/server/services/auth/resolve-actor";
import { uploadModel } from "@/server/services/models/upload-model";

export const runtime = "nodejs";
export const dynamic = "force-dynamic";

const ZQuery = z.object({
  name: z.string().trim().min(1, "name is required").max(120, "name is at most 120 characters"),
  fileName: z.string().trim().min(1).max(255).optional(),
});

export async function POST(req: Request): Promise<Response> {
  try {
    const db = getDb();
    const actor = await resolveActor({ db, claims: await getSessionClaims() });
    const query = ZQuery.safeParse(Object.fromEntries(new URL(req.url).searchParams));
    if (!query.success) {
      throw new ServiceError(
        "BAD_REQUEST",
        `Invalid upload parameters: ${query.error.issues.map((i) => `${i.path.join(".")}: ${i.message}`).join("; ")}. Call /api/models/upload?name=<model name>.`,
      );
    }
    const contentType = req.headers.get("content-type")?.split(";")[0]?.trim().toLowerCase();
    // Required (not just tolerated): an HTML form cannot send this type, so a cross-site form post
    // cannot upload in a signed-in user's name.
    if (contentType !== "application/octet-stream") {
      throw new ServiceError(
        "UNSUPPORTED_MEDIA_TYPE",
        `Send the .onnx file as the raw request body with Content-Type: application/octet-stream (got ${contentType ?? "none"}).`,
      );
    }
    const contentLength = parseContentLength(req.headers.get("content-length"));
    const { maxUploadBytes } = serverEnv();
    const result = await uploadModel({
      db,
      nc: await getNats(),
      actor,
      name: query.data.name,
      fileName: query.data.fileName ?? query.data.name,
      body: req.body,
      contentLength,
      maxBytes: maxUploadBytes,
    });
    return Response.json(result, { status: 201 });
  } catch (err) {
    return httpErrorResponse("models.upload", err);
  }
}

function parseContentLength(header: string | null): number | null {
  if (header === null) return null;
  if (!/^\d+$/.test(header.trim())) {
    throw new ServiceError("BAD_REQUEST", `Content-Length "${header}" is not a number of bytes.`);
  }
  return Number(header.trim());
}
