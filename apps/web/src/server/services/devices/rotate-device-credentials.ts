/**
 * Credential rotation (POST /api/agent/rotate), authenticated by the device itself: the request is signed with
 * its current NATS key and with the new key it generated (see @edgewatt/nats/auth rotation). In one
 * transaction the device moves to the new key, the old key is revoked (re-issued account JWT pushed to the
 * servers) and a user JWT for the new key is minted. The old credentials stop working at once, so a running
 * agent must pick up the new ones (restart it after `edgewatt-agent rotate`).
 */
import {
  createNatsUserRevocation,
  type Db,
  findDeviceByNatsPublicKey,
  isNatsUserKeyTaken,
  updateDeviceNatsPublicKey,
  writeAudit,
} from "@edgewatt/db";
import { EdgewattNatsError } from "@edgewatt/nats";
import {
  type CredentialRotationRequest,
  type CredentialRotationResponse,
  verifyRotationRequest,
} from "@edgewatt/nats/auth";
import { ServiceError } from "../../errors";
import { mintDeviceCredentials } from "../nats-auth/mint-device-credentials";
import type { NatsAuth } from "../nats-auth/nats-auth";
import { reissueAccountJwt } from "../nats-auth/reissue-account-jwt";

export interface RotateDeviceCredentialsOptions {
  db: Db;
  /** Null when NATS runs without auth: there is nothing to rotate. */
  natsAuth: NatsAuth | null;
  request: CredentialRotationRequest;
  now?: Date;
}

const REFUSED = "The rotation request is not signed by this device's current NATS key";

export async function rotateDeviceCredentials(
  opts: RotateDeviceCredentialsOptions,
): Promise<CredentialRotationResponse> {
  const { db, natsAuth, request } = opts;
  if (!natsAuth) {
    throw new ServiceError(
      "CONFLICT",
      "This portal runs NATS without per-device credentials (EDGEWATT_NATS_AUTH is not jwt); there is nothing to rotate.",
    );
  }
  const device = await findDeviceByNatsPublicKey(db, request.currentPublicKey);
  if (!device || device.id !== request.deviceId) {
    throw new ServiceError(
      "UNAUTHENTICATED",
      `${REFUSED}; if it was rotated or revoked, enroll the device again.`,
    );
  }
  if (device.status === "revoked") {
    throw new ServiceError("FORBIDDEN", `Device ${device.id} was revoked; enroll it again with a new token.`);
  }
  try {
    verifyRotationRequest(request, {
      deviceId: device.id,
      currentPublicKey: request.currentPublicKey,
      now: opts.now,
    });
  } catch (err) {
    if (err instanceof EdgewattNatsError)
      throw new ServiceError("UNAUTHENTICATED", `${REFUSED}: ${err.message}.`, { cause: err });
    throw err;
  }

  return db.transaction(async (tx) => {
    if (await isNatsUserKeyTaken(tx, request.newPublicKey)) {
      throw new ServiceError(
        "CONFLICT",
        "The new NATS key is already in use or was revoked; generate another one.",
      );
    }
    const moved = await updateDeviceNatsPublicKey(tx, {
      orgId: device.orgId,
      deviceId: device.id,
      from: request.currentPublicKey,
      to: request.newPublicKey,
    });
    if (!moved)
      throw new ServiceError(
        "CONFLICT",
        "The device's NATS key changed meanwhile (another rotation?); retry.",
      );
    await createNatsUserRevocation(tx, {
      userPublicKey: request.currentPublicKey,
      orgId: device.orgId,
      deviceId: device.id,
      reason: "rotated",
    });
    await writeAudit(tx, {
      orgId: device.orgId,
      actorDeviceId: device.id,
      action: "device.rotate-credentials",
      targetType: "device",
      targetId: device.id,
      details: { from: request.currentPublicKey, to: request.newPublicKey },
    });
    const credentials = await mintDeviceCredentials({
      db: tx,
      auth: natsAuth,
      orgId: device.orgId,
      deviceId: device.id,
      userPublicKey: request.newPublicKey,
    });
    await reissueAccountJwt(tx, natsAuth);
    return { deviceId: device.id, credentials };
  });
}
