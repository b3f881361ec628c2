/**
 * Per-device NATS credentials through the portal's services, over real Postgres and a real nats-server in
 * operator mode: enrollment mints a JWT for the agent's own key, revocation and rotation reach the server.
 */
import { join } from "node:path";
import { createSecretBox, findAudit, findDevicesByOrg, findTokensByOrg, type SecretBox } from "@edgewatt/db";
import { createTestDatabase, type TestDatabase } from "@edgewatt/db/testing";
import { connectNats, ensureControlPlane, type NatsConnection } from "@edgewatt/nats";
import {
  createNkeyPair,
  createRotationRequest,
  decodeAccountJwt,
  decodeUserJwt,
  mintServiceUser,
  mintSystemUser,
  type NkeyPair,
  pushAccountJwt,
  renderServerAuthConfig,
} from "@edgewatt/nats/auth";
import { startNatsServer, type TestNatsServer } from "@edgewatt/nats/testing";
import { type EnrollmentRequest, KV_BUCKETS, kvKeys, subjects } from "@edgewatt/protocol";
import { jetstream } from "@nats-io/jetstream";
import { Kvm } from "@nats-io/kv";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { httpStatusFor, toServiceError } from "../src/server/error-mapping";
import { ServiceError } from "../src/server/errors";
import type { Actor } from "../src/server/services/actor";
import { enrollDevice } from "../src/server/services/devices/enroll-device";
import { revokeDevice } from "../src/server/services/devices/revoke-device";
import { rotateDeviceCredentials } from "../src/server/services/devices/rotate-device-credentials";
import { ensureNatsAuth } from "../src/server/services/nats-auth/ensure-nats-auth";
import type { NatsAuth } from "../src/server/services/nats-auth/nats-auth";
import { createEnrollmentToken } from "../src/server/services/tokens/create-enrollment-token";
import { createOrg } from "./helpers";

describe("per-device NATS credentials (real Postgres + nats-server in operator mode)", () => {
  let database: TestDatabase;
  let box: SecretBox;
  let server: TestNatsServer;
  let svc: NatsConnection;
  let sys: NatsConnection;
  let natsAuth: NatsAuth;
  let actor: Actor;
  const open: NatsConnection[] = [];

  beforeAll(async () => {
    database = await createTestDatabase();
    box = createSecretBox("web-test-secret-key-0123456789-abcdefghijkl");
    const material = await ensureNatsAuth({ db: database.db, box });
    server = await startNatsServer({
      authConfig: (dir) =>
        renderServerAuthConfig({
          operatorJwt: material.operator.jwt,
          systemAccountPublicKey: material.systemAccount.publicKey,
          accountJwts: [material.systemAccount.jwt, material.account.jwt],
          resolverDir: join(dir, "jwt"),
        }),
    });
    svc = await connectNats({
      servers: server.url,
      name: "web-test",
      credentials: await mintServiceUser({ accountSeed: material.account.seed, name: "test" }),
    });
    await ensureControlPlane(svc);
    sys = await connectNats({
      servers: server.url,
      name: "web-test-system",
      credentials: await mintSystemUser({ systemAccountSeed: material.systemAccount.seed, name: "test" }),
    });
    natsAuth = { box, pushAccountJwt: (jwt) => pushAccountJwt(sys, jwt) };
    actor = await createOrg(database.db, "Creds");
  });

  afterAll(async () => {
    for (const nc of open) await nc.close().catch(() => {});
    await svc?.close();
    await sys?.close();
    await server?.stop();
    await database?.drop();
  });

  async function token(orgActor: Actor = actor): Promise<string> {
    const created = await createEnrollmentToken({
      db: database.db,
      actor: orgActor,
      label: "creds",
      expiresInHours: 1,
      maxUses: 1,
      serverUrl: "https://portal.example.test",
    });
    return created.secret;
  }

  function request(secret: string, key: NkeyPair | null): EnrollmentRequest {
    return {
      token: secret,
      agentVersion: "0.1.0",
      platform: { os: "linux", arch: "arm64", hostname: "pi" },
      meters: ["model"],
      ...(key ? { natsPublicKey: key.publicKey } : {}),
    };
  }

  async function enroll(key: NkeyPair, orgActor: Actor = actor) {
    return enrollDevice({
      db: database.db,
      request: request(await token(orgActor), key),
      natsServers: server.url,
      natsAuth,
    });
  }

  async function connectDevice(jwt: string, key: NkeyPair): Promise<NatsConnection> {
    const nc = await connectNats({
      servers: server.url,
      name: "device",
      credentials: { jwt, seed: key.seed },
    });
    open.push(nc);
    return nc;
  }

  async function refusal(promise: Promise<unknown>): Promise<ServiceError> {
    const err = await promise.then(
      () => {
        throw new Error("expected a refusal");
      },
      (e: unknown) => e,
    );
    expect(err).toBeInstanceOf(ServiceError);
    return err as ServiceError;
  }

  async function tokenUses(): Promise<number> {
    return (await findTokensByOrg(database.db, actor.orgId)).reduce((n, t) => n + t.uses, 0);
  }

  it("enrollment mints a JWT for the agent's own key, signed by the org's key; the device can use it", async () => {
    const key = createNkeyPair("user");
    const response = await enroll(key);
    expect(response.nats.credentials).toEqual({ jwt: expect.any(String) });
    const claims = decodeUserJwt(response.nats.credentials?.jwt ?? "");
    const { account } = decodeAccountJwt((await ensureNatsAuth({ db: database.db, box })).account.jwt);
    expect(claims).toMatchObject({ publicKey: key.publicKey, name: response.deviceId });
    expect(account.signing_keys).toContain(claims.issuer);
    expect(claims.issuerAccount).toBe((await ensureNatsAuth({ db: database.db, box })).account.publicKey);

    const nc = await connectDevice(response.nats.credentials?.jwt ?? "", key);
    const ack = await jetstream(nc).publish(response.subjects.telemetry, new TextEncoder().encode("{}"), {
      msgID: `${response.deviceId}:b:1`,
    });
    expect(ack.duplicate).toBe(false);
    await expect(
      jetstream(nc).publish(subjects.telemetryEnergy(actor.orgId, "dev_someone_else"), new Uint8Array(), {
        timeout: 2000,
      }),
    ).rejects.toThrow(/Permissions Violation/);
  });

  it("refuses an agent that sends no NATS key, or a key already in use, and spends nothing", async () => {
    const before = await tokenUses();
    const noKey = await refusal(
      enrollDevice({
        db: database.db,
        request: request(await token(), null),
        natsServers: server.url,
        natsAuth,
      }),
    );
    expect(noKey.code).toBe("BAD_REQUEST");
    expect(noKey.message).toMatch(/sent no NATS public key; upgrade the agent/);

    const key = createNkeyPair("user");
    await enroll(key);
    const reused = await refusal(enroll(key));
    expect(reused.code).toBe("CONFLICT");
    expect(await tokenUses()).toBe(before + 1);
  });

  it("a failed push of the account JWT (new org, NATS unreachable) fails the enrollment and spends nothing", async () => {
    const other = await createOrg(database.db, "Unreachable");
    const closed = await connectNats({
      servers: server.url,
      name: "closed",
      credentials: await mintSystemUser({
        systemAccountSeed: (await ensureNatsAuth({ db: database.db, box })).systemAccount.seed,
        name: "closed",
      }),
    });
    await closed.close();
    const secret = await token(other);
    const failed = await enrollDevice({
      db: database.db,
      request: request(secret, createNkeyPair("user")),
      natsServers: server.url,
      natsAuth: { box, pushAccountJwt: (jwt) => pushAccountJwt(closed, jwt) },
    }).catch((e: unknown) => e);
    expect(failed).toMatchObject({ name: "EdgewattNatsError", code: "ACCOUNT_UPDATE_FAILED" });
    const mapped = toServiceError(failed);
    expect([mapped.code, httpStatusFor(mapped.code)]).toEqual(["UNAVAILABLE", 503]);
    expect(await findDevicesByOrg(database.db, other.orgId)).toEqual([]);
    expect((await findTokensByOrg(database.db, other.orgId))[0]?.uses).toBe(0);
    // With NATS reachable the same token then works.
    const ok = await enrollDevice({
      db: database.db,
      request: request(secret, createNkeyPair("user")),
      natsServers: server.url,
      natsAuth,
    });
    expect(ok.orgId).toBe(other.orgId);
  });

  it("revoking a device drops its NATS connection and refuses it from then on", async () => {
    const key = createNkeyPair("user");
    const response = await enroll(key);
    const jwt = response.nats.credentials?.jwt ?? "";
    const nc = await connectDevice(jwt, key);
    const statuses: string[] = [];
    void (async () => {
      for await (const s of nc.status()) statuses.push(s.type);
    })();
    const deploy = await new Kvm(svc).open(KV_BUCKETS.deploy);
    await deploy.put(kvKeys.deviceAssignment(actor.orgId, response.deviceId), new TextEncoder().encode("{}"));

    const view = await revokeDevice({
      db: database.db,
      nc: svc,
      actor,
      deviceId: response.deviceId,
      natsAuth,
    });
    expect(view.presence).toBe("revoked");
    await expect.poll(() => statuses, { timeout: 10_000 }).toContain("disconnect");
    await expect(connectDevice(jwt, key)).rejects.toMatchObject({ code: "CONNECT_FAILED" });
    expect((await deploy.get(kvKeys.deviceAssignment(actor.orgId, response.deviceId)))?.operation).toBe(
      "DEL",
    );
    const audit = await findAudit(database.db, actor.orgId, {
      action: "device.revoke",
      targetId: response.deviceId,
    });
    expect(audit[0]?.details).toMatchObject({ natsUser: key.publicKey });
    // Another device of the org is unaffected.
    const other = createNkeyPair("user");
    const otherResponse = await enroll(other);
    await connectDevice(otherResponse.nats.credentials?.jwt ?? "", other);
  });

  it("rotation: the device proves both keys, gets a JWT for the new one, and the old one is refused", async () => {
    const key = createNkeyPair("user");
    const response = await enroll(key);
    const oldJwt = response.nats.credentials?.jwt ?? "";
    const next = createNkeyPair("user");
    const req = createRotationRequest({
      deviceId: response.deviceId,
      currentSeed: key.seed,
      newSeed: next.seed,
    });

    const rotated = await rotateDeviceCredentials({ db: database.db, natsAuth, request: req });
    expect(rotated.deviceId).toBe(response.deviceId);
    expect(decodeUserJwt(rotated.credentials.jwt).publicKey).toBe(next.publicKey);
    await connectDevice(rotated.credentials.jwt, next);
    await expect(connectDevice(oldJwt, key)).rejects.toMatchObject({ code: "CONNECT_FAILED" });
    const device = (await findDevicesByOrg(database.db, actor.orgId)).find((d) => d.id === response.deviceId);
    expect(device?.natsPublicKey).toBe(next.publicKey);

    // The same request again: the old key is no longer the device's.
    expect((await refusal(rotateDeviceCredentials({ db: database.db, natsAuth, request: req }))).code).toBe(
      "UNAUTHENTICATED",
    );
    // A request signed by someone who holds only the public key.
    const forged = createRotationRequest({
      deviceId: response.deviceId,
      currentSeed: createNkeyPair("user").seed,
      newSeed: createNkeyPair("user").seed,
    });
    const forgedErr = await refusal(
      rotateDeviceCredentials({
        db: database.db,
        natsAuth,
        request: { ...forged, currentPublicKey: next.publicKey },
      }),
    );
    expect(forgedErr.code).toBe("UNAUTHENTICATED");
    expect(forgedErr.message).toMatch(/signature by the current key does not verify/);
  });

  it("refuses to rotate a revoked device, and rotation without operator mode", async () => {
    const key = createNkeyPair("user");
    const response = await enroll(key);
    await revokeDevice({ db: database.db, nc: svc, actor, deviceId: response.deviceId, natsAuth });
    const req = createRotationRequest({
      deviceId: response.deviceId,
      currentSeed: key.seed,
      newSeed: createNkeyPair("user").seed,
    });
    expect((await refusal(rotateDeviceCredentials({ db: database.db, natsAuth, request: req }))).code).toBe(
      "FORBIDDEN",
    );
    expect(
      (await refusal(rotateDeviceCredentials({ db: database.db, natsAuth: null, request: req }))).message,
    ).toMatch(/EDGEWATT_NATS_AUTH is not jwt/);
  });
});
