/**
 * POST /api/agent/rotate — body ZCredentialRotationRequest (JSON, signed by the device's current NATS key and
 * its new one). 200 → ZCredentialRotationResponse {deviceId, credentials:{jwt}}; errors are ZApiError
 * {error:{code,message}}: 400 BAD_REQUEST, 401 UNAUTHENTICATED (not signed by the device's current key),
 * 403 FORBIDDEN (device revoked), 409 CONFLICT (no operator mode, key in use, concurrent rotation),
 * 503 when the database or NATS is unreachable.
 */
import { ZCredentialRotationRequest } from "@edgewatt/nats/auth";
import { z } from "zod";
import { getDb } from "@/server/db";
import { httpErrorResponse } from "@/server/error-mapping";
import { ServiceError } from "@/server/errors";
import { getNatsAuth } from "@/server/nats";
import { rotateDeviceCredentials } from "@/server/services/devices/rotate-device-credentials";

export const runtime = "nodejs";
export const dynamic = "force-dynamic";

const MAX_BODY_BYTES = 8 * 1024;

export async function POST(req: Request): Promise<Response> {
  try {
    const text = await req.text();
    if (text.length > MAX_BODY_BYTES) {
      throw new ServiceError("PAYLOAD_TOO_LARGE", `A rotation request is at most ${MAX_BODY_BYTES} bytes.`);
    }
    let json: unknown;
    try {
      json = JSON.parse(text);
    } catch {
      throw new ServiceError("BAD_REQUEST", "The body is not JSON; the agent's `rotate` command sends it.");
    }
    const parsed = ZCredentialRotationRequest.safeParse(json);
    if (!parsed.success) {
      throw new ServiceError("BAD_REQUEST", `Invalid rotation request: ${z.prettifyError(parsed.error)}`);
    }
    const response = await rotateDeviceCredentials({
      db: getDb(),
      natsAuth: getNatsAuth(),
      request: parsed.data,
    });
    return Response.json(response, { status: 200 });
  } catch (err) {
    return httpErrorResponse("agent.rotate", err);
  }
}
