/**
 * Agent enrollment (POST /api/agent/enroll): spends one use of the enrollment token and creates the
 * device in the token's org and group, in one transaction (a failed enrollment spends nothing), with
 * an audit record whose actor is the new device. Returns what the agent needs to connect.
 *
 * With NATS in operator mode (`natsAuth` given) the agent must send the public key of the NATS key pair it
 * generated; the answer then carries the device's user JWT (never a seed: the agent keeps its own).
 */
import {
  consumeEnrollmentToken,
  createDevice,
  type Db,
  isNatsUserKeyTaken,
  isUniqueViolation,
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
import { mintDeviceCredentials } from "../nats-auth/mint-device-credentials";
import type { NatsAuth } from "../nats-auth/nats-auth";
import { hashTokenSecret } from "../tokens/token-secret";

export interface EnrollDeviceOptions {
  db: Db;
  request: EnrollmentRequest;
  /** NATS URL(s) handed to the agent (comma-separated allowed). */
  natsServers: string;
  /** Set when NATS runs in operator mode: the device gets its own credentials. */
  natsAuth?: NatsAuth | null;
  now?: Date;
}

const WHERE_TO_CREATE = "create a new one in the portal under Devices → Enrollment tokens";

export async function enrollDevice(opts: EnrollDeviceOptions): Promise<EnrollmentResponse> {
  const { db, request } = opts;
  const now = opts.now ?? new Date();
  const tokenHash = hashTokenSecret(request.token);
  const natsAuth = opts.natsAuth ?? null;
  const natsPublicKey = request.natsPublicKey ?? null;
  if (natsAuth && !natsPublicKey) {
    throw new ServiceError(
      "BAD_REQUEST",
      "This portal gives every device its own NATS credentials, and this agent sent no NATS public key; upgrade the agent and enroll again.",
    );
  }

  const { device, credentials } = await db.transaction(async (tx) => {
    const consumed = await consumeEnrollmentToken(tx, tokenHash, now);
    if (!consumed.ok) throw await rejection(tx, tokenHash, consumed.reason);
    const token = consumed.token;
    if (natsPublicKey && (await isNatsUserKeyTaken(tx, natsPublicKey))) throw keyTaken();
    const deviceId = newId("dev");
    const created = await createDevice(tx, {
      id: deviceId,
      orgId: token.orgId,
      groupId: token.groupId,
      name: request.name ?? request.platform.hostname ?? `device-${deviceId.slice(-6)}`,
      platform: request.platform,
      meters: request.meters,
      agentVersion: request.agentVersion,
      natsPublicKey,
      enrollmentTokenId: token.id,
    }).catch((err: unknown) => {
      throw isUniqueViolation(err, "devices_nats_public_key_uq") ? keyTaken() : err;
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
        natsCredentials: natsAuth ? "jwt" : "none",
      },
    });
    const credentials =
      natsAuth && natsPublicKey
        ? await mintDeviceCredentials({
            db: tx,
            auth: natsAuth,
            orgId: created.orgId,
            deviceId: created.id,
            userPublicKey: natsPublicKey,
          })
        : null;
    return { device: created, credentials };
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
      ...(credentials ? { credentials } : {}),
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

function keyTaken(): ServiceError {
  return new ServiceError(
    "CONFLICT",
    "This NATS public key is already used by another device (or was revoked); enroll again so the agent makes a new key pair.",
  );
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
