/**
 * POST /api/agent/enroll — body ZEnrollmentRequest (JSON). 200 → ZEnrollmentResponse; errors are
 * ZApiError {error:{code,message}}: 400 BAD_REQUEST, 401 TOKEN_UNKNOWN | TOKEN_EXPIRED |
 * TOKEN_EXHAUSTED | TOKEN_REVOKED, 409 CONFLICT (NATS key already in use), 503 when the database (or, with
 * EDGEWATT_NATS_AUTH=jwt, NATS) is unreachable. With EDGEWATT_NATS_AUTH=jwt the request must carry natsPublicKey
 * and the answer carries nats.credentials.jwt.
 */
import { ZEnrollmentRequest } from "@edgewatt/protocol";
import { z } from "zod";
import { serverEnv } from "@/env";
import { getDb } from "@/server/db";
import { httpErrorResponse } from "@/server/error-mapping";
import { ServiceError } from "@/server/errors";
import { getNatsAuth } from "@/server/nats";
import { enrollDevice } from "@/server/services/devices/enroll-device";

export const runtime = "nodejs";
export const dynamic = "force-dynamic";

const MAX_BODY_BYTES = 64 * 1024;

export async function POST(req: Request): Promise<Response> {
  try {
    const declared = Number(req.headers.get("content-length") ?? "0");
    if (declared > MAX_BODY_BYTES) {
      throw new ServiceError(
        "PAYLOAD_TOO_LARGE",
        `An enrollment request is at most ${MAX_BODY_BYTES} bytes.`,
      );
    }
    const text = await req.text();
    if (text.length > MAX_BODY_BYTES) {
      throw new ServiceError(
        "PAYLOAD_TOO_LARGE",
        `An enrollment request is at most ${MAX_BODY_BYTES} bytes.`,
      );
    }
    let json: unknown;
    try {
      json = JSON.parse(text);
    } catch {
      throw new ServiceError(
        "BAD_REQUEST",
        "The body is not JSON; send {token, agentVersion, platform:{os, arch}} with Content-Type: application/json.",
      );
    }
    const parsed = ZEnrollmentRequest.safeParse(json);
    if (!parsed.success) {
      throw new ServiceError("BAD_REQUEST", `Invalid enrollment request: ${z.prettifyError(parsed.error)}`);
    }
    const response = await enrollDevice({
      db: getDb(),
      request: parsed.data,
      natsServers: serverEnv().publicNatsUrl,
      natsAuth: getNatsAuth(),
    });
    return Response.json(response, { status: 200 });
  } catch (err) {
    return httpErrorResponse("agent.enroll", err);
  }
}
