import { createDeviceGroup, findAudit, findDevicesByOrg, findTokensByOrg } from "@edgewatt/db";
import { type EnrollmentRequest, kvKeys, subjects, ZEnrollmentResponse } from "@edgewatt/protocol";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { httpStatusFor } from "../src/server/error-mapping";
import { ServiceError } from "../src/server/errors";
import type { Actor } from "../src/server/services/actor";
import { enrollDevice } from "../src/server/services/devices/enroll-device";
import { createEnrollmentToken } from "../src/server/services/tokens/create-enrollment-token";
import { revokeEnrollmentToken } from "../src/server/services/tokens/revoke-enrollment-token";
import { createOrg, type Infra, startInfra } from "./helpers";

const NATS = "nats://edge.example.test:4222";

function request(token: string, name?: string): EnrollmentRequest {
  return {
    token,
    ...(name ? { name } : {}),
    agentVersion: "0.1.0",
    platform: { os: "linux", arch: "arm64", hostname: "pi-7", cpus: 4, memBytes: 4_000_000_000 },
    meters: ["model"],
  };
}

describe("enrollDevice (real Postgres)", () => {
  let infra: Infra;
  let actor: Actor;

  beforeAll(async () => {
    infra = await startInfra({ nats: false });
    actor = await createOrg(infra.db, "Fleet");
  });
  afterAll(async () => {
    await infra?.stop();
  });

  async function newToken(opts: { hours?: number; uses?: number; now?: Date } = {}) {
    return createEnrollmentToken({
      db: infra.db,
      actor,
      label: "test",
      expiresInHours: opts.hours ?? 24,
      maxUses: opts.uses ?? 1,
      serverUrl: "https://portal.example.test",
      ...(opts.now ? { now: opts.now } : {}),
    });
  }

  async function refusal(promise: Promise<unknown>): Promise<ServiceError> {
    const err = await promise.then(
      () => {
        throw new Error("expected enrollment to be refused");
      },
      (e: unknown) => e,
    );
    expect(err).toBeInstanceOf(ServiceError);
    expect(httpStatusFor((err as ServiceError).code)).toBe(401);
    return err as ServiceError;
  }

  it("creates the token with a secret shown once and the enroll command", async () => {
    const created = await newToken();
    expect(created.secret).toMatch(/^ewt_[A-Za-z0-9_-]{32}$/);
    expect(created.command).toBe(
      `pnpm edgewatt-agent enroll --server https://portal.example.test --token ${created.secret}`,
    );
    expect(created.token).toMatchObject({
      prefix: created.secret.slice(0, 12),
      uses: 0,
      maxUses: 1,
      state: "active",
    });
    expect(created.token).not.toHaveProperty("tokenHash");
    const stored = (await findTokensByOrg(infra.db, actor.orgId)).find((t) => t.id === created.token.id);
    expect(stored?.tokenHash).toMatch(/^[0-9a-f]{64}$/);
    expect(stored?.tokenHash).not.toContain(created.secret);
  });

  it("enrolls a device with a valid token and answers with everything the agent needs", async () => {
    const { secret, token } = await newToken();
    const response = await enrollDevice({
      db: infra.db,
      request: request(secret, "line-3 sensor"),
      natsServers: NATS,
    });
    expect(ZEnrollmentResponse.parse(response)).toEqual(response);
    expect(response).toMatchObject({
      orgId: actor.orgId,
      deviceName: "line-3 sensor",
      groupId: null,
      nats: { servers: [NATS] },
      buckets: { deploy: "DEPLOY", policy: "POLICY", models: "MODELS" },
      assignmentKey: kvKeys.deviceAssignment(actor.orgId, response.deviceId),
      subjects: {
        telemetry: subjects.telemetryEnergy(actor.orgId, response.deviceId),
        heartbeat: subjects.heartbeat(actor.orgId, response.deviceId),
        prefix: subjects.devicePrefix(actor.orgId, response.deviceId),
      },
    });
    expect(response.nats.credentials).toBeUndefined();
    const device = (await findDevicesByOrg(infra.db, actor.orgId)).find((d) => d.id === response.deviceId);
    expect(device).toMatchObject({
      status: "enrolled",
      enrollmentTokenId: token.id,
      agentVersion: "0.1.0",
      meters: ["model"],
      platform: { os: "linux", arch: "arm64", hostname: "pi-7" },
    });
    const audit = await findAudit(infra.db, actor.orgId, {
      action: "device.enroll",
      targetId: response.deviceId,
    });
    expect(audit).toHaveLength(1);
    expect(audit[0]).toMatchObject({ actorDeviceId: response.deviceId, actorUserId: null });
    expect((await findTokensByOrg(infra.db, actor.orgId)).find((t) => t.id === token.id)?.uses).toBe(1);
  });

  it("enrolls into the token's group; a token cannot name another org's group", async () => {
    const group = await createDeviceGroup(infra.db, { orgId: actor.orgId, name: "gateways" });
    const created = await createEnrollmentToken({
      db: infra.db,
      actor,
      label: "gateways",
      expiresInHours: 1,
      maxUses: 1,
      groupId: group.id,
      serverUrl: "https://portal.example.test",
    });
    expect(created.token).toMatchObject({ groupId: group.id, groupName: "gateways" });
    const response = await enrollDevice({
      db: infra.db,
      request: request(created.secret),
      natsServers: NATS,
    });
    expect(response.groupId).toBe(group.id);
    const other = await createOrg(infra.db, "Elsewhere");
    await expect(
      createEnrollmentToken({
        db: infra.db,
        actor: other,
        label: null,
        expiresInHours: 1,
        maxUses: 1,
        groupId: group.id,
        serverUrl: "https://portal.example.test",
      }),
    ).rejects.toThrow(/does not exist in your organization/);
  });

  it("names the device after its host when the agent sends no name", async () => {
    const { secret } = await newToken();
    const response = await enrollDevice({ db: infra.db, request: request(secret), natsServers: NATS });
    expect(response.deviceName).toBe("pi-7");
  });

  it("refuses the second use of a one-use token (exhausted) and creates no second device", async () => {
    const { secret } = await newToken({ uses: 1 });
    await enrollDevice({ db: infra.db, request: request(secret, "first"), natsServers: NATS });
    const before = await findDevicesByOrg(infra.db, actor.orgId);
    const err = await refusal(
      enrollDevice({ db: infra.db, request: request(secret, "second"), natsServers: NATS }),
    );
    expect(err.code).toBe("TOKEN_EXHAUSTED");
    expect(err.message).toMatch(/1 of 1 uses/);
    expect(err.message).toMatch(/Devices → Enrollment tokens/);
    expect(await findDevicesByOrg(infra.db, actor.orgId)).toHaveLength(before.length);
  });

  it("refuses an expired token and says when it expired", async () => {
    const twoDaysAgo = new Date(Date.now() - 48 * 3_600_000);
    const { secret, token } = await newToken({ hours: 1, now: twoDaysAgo });
    const err = await refusal(enrollDevice({ db: infra.db, request: request(secret), natsServers: NATS }));
    expect(err.code).toBe("TOKEN_EXPIRED");
    expect(err.message).toContain(`expired at ${token.expiresAt.toISOString()}`);
    expect(err.message).toMatch(/create a new one in the portal under Devices → Enrollment tokens/);
    expect((await findTokensByOrg(infra.db, actor.orgId)).find((t) => t.id === token.id)?.uses).toBe(0);
  });

  it("refuses a revoked token", async () => {
    const { secret, token } = await newToken({ uses: 5 });
    await revokeEnrollmentToken({ db: infra.db, actor, tokenId: token.id });
    const err = await refusal(enrollDevice({ db: infra.db, request: request(secret), natsServers: NATS }));
    expect(err.code).toBe("TOKEN_REVOKED");
    expect(err.message).toMatch(/was revoked at .*; create a new one/);
    expect(
      await findAudit(infra.db, actor.orgId, { action: "token.revoke", targetId: token.id }),
    ).toHaveLength(1);
  });

  it("refuses an unknown token", async () => {
    const err = await refusal(
      enrollDevice({
        db: infra.db,
        request: request("ewt_thisTokenWasNeverIssuedByAnyone000"),
        natsServers: NATS,
      }),
    );
    expect(err.code).toBe("TOKEN_UNKNOWN");
    expect(err.message).toMatch(/not known to this server/);
  });

  it("lets a multi-use token enroll up to its limit, even concurrently", async () => {
    const { secret } = await newToken({ uses: 3 });
    const results = await Promise.allSettled(
      Array.from({ length: 6 }, (_, i) =>
        enrollDevice({ db: infra.db, request: request(secret, `batch-${i}`), natsServers: NATS }),
      ),
    );
    expect(results.filter((r) => r.status === "fulfilled")).toHaveLength(3);
    const refused = results.filter((r): r is PromiseRejectedResult => r.status === "rejected");
    expect(refused.map((r) => (r.reason as ServiceError).code)).toEqual(Array(3).fill("TOKEN_EXHAUSTED"));
  });
});
