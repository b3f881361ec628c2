/**
 * Agent enrollment (POST /api/agent/enroll): spends one use of the enrollment token and creates the
 * device in the token's org and group, in one transaction (a failed enrollment spends nothing), with
 * an audit record whose actor is the new device. Returns what the agent needs to connect.
 */
import {
  consumeEnrollmentToken,
  createDevice,
  type Db,
  newId,
  type TokenRejection,
  writeAudit,
} from "@edgewatt/db";
import {
  type EnrollmentRequest,
  type EnrollmentResponse,
  KV_BUCKETS,
  kvKeys,
  OBJECT_BUCKETS,
  subjects,
  ZEnrollmentResponse,
} from "@edgewatt/protocol";
import { findEnrollmentTokenByHash } from "../../data/enrollment-token-by-hash";
import { ServiceError } from "../../errors";
import { hashTokenSecret } from "../tokens/token-secret";

export interface EnrollDeviceOptions {
  db: Db;
  request: EnrollmentRequest;
  /** NATS URL(s) handed to the agent (comma-separated allowed). */
  natsServers: string;
  now?: Date;
}

const WHERE_TO_CREATE = "create a new one in the portal under Devices → Enrollment tokens";

export async function enrollDevice(opts: EnrollDeviceOptions): Promise<EnrollmentResponse> {
  const { db, request } = opts;
  const now = opts.now ?? new Date();
  const tokenHash = hashTokenSecret(request.token);

  const device = await db.transaction(async (tx) => {
    const consumed = await consumeEnrollmentToken(tx, tokenHash, now);
    if (!consumed.ok) throw await rejection(tx, tokenHash, consumed.reason);
    const token = consumed.token;
    const deviceId = newId("dev");
    const created = await createDevice(tx, {
      id: deviceId,
      orgId: token.orgId,
      groupId: token.groupId,
      name: request.name ?? request.platform.hostname ?? `device-${deviceId.slice(-6)}`,
      platform: request.platform,
      meters: request.meters,
      agentVersion: request.agentVersion,
      natsPublicKey: request.natsPublicKey ?? null,
      enrollmentTokenId: token.id,
    });
    await writeAudit(tx, {
      orgId: token.orgId,
      actorDeviceId: created.id,
      action: "device.enroll",
      targetType: "device",
      targetId: created.id,
      details: {
        tokenId: token.id,
        tokenPrefix: token.prefix,
        agentVersion: request.agentVersion,
        platform: request.platform,
        meters: request.meters,
      },
    });
    return created;
  });

  return ZEnrollmentResponse.parse({
    deviceId: device.id,
    orgId: device.orgId,
    deviceName: device.name,
    groupId: device.groupId,
    nats: {
      servers: opts.natsServers
        .split(",")
        .map((s) => s.trim())
        .filter(Boolean),
    },
    buckets: { deploy: KV_BUCKETS.deploy, policy: KV_BUCKETS.policy, models: OBJECT_BUCKETS.models },
    assignmentKey: kvKeys.deviceAssignment(device.orgId, device.id),
    subjects: {
      telemetry: subjects.telemetryEnergy(device.orgId, device.id),
      heartbeat: subjects.heartbeat(device.orgId, device.id),
      prefix: subjects.devicePrefix(device.orgId, device.id),
    },
  } satisfies EnrollmentResponse);
}

async function rejection(db: Db, tokenHash: string, reason: TokenRejection): Promise<ServiceError> {
  if (reason === "unknown") {
    return new ServiceError(
      "TOKEN_UNKNOWN",
      `This enrollment token is not known to this server. Check that you copied the whole token (it starts with ewt_) and the right --server, or ${WHERE_TO_CREATE}.`,
    );
  }
  const token = await findEnrollmentTokenByHash(db, tokenHash);
  if (reason === "revoked") {
    const when = token?.revokedAt ? ` at ${token.revokedAt.toISOString()}` : "";
    return new ServiceError("TOKEN_REVOKED", `This enrollment token was revoked${when}; ${WHERE_TO_CREATE}.`);
  }
  if (reason === "expired") {
    const when = token ? ` at ${token.expiresAt.toISOString()}` : "";
    return new ServiceError("TOKEN_EXPIRED", `This enrollment token expired${when}; ${WHERE_TO_CREATE}.`);
  }
  const uses = token ? ` (${token.uses} of ${token.maxUses} uses)` : "";
  return new ServiceError(
    "TOKEN_EXHAUSTED",
    `This enrollment token has already been used up${uses}; ${WHERE_TO_CREATE} (set "Max uses" higher to enroll several devices with one token).`,
  );
}
