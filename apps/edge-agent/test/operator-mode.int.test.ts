/**
 * The agent with per-device credentials against a real nats-server in operator (JWT) mode: `enroll` generates the
 * device's key and gets a user JWT signed by the org's signing key, `run` serves and reports with it, `rotate`
 * replaces the key while the agent runs (the old one is revoked, the running agent picks the new one up), and a
 * revoked device is refused and says so while it keeps measuring into its outbox.
 *
 * The portal side here is a small HTTP server that does what the portal's services do (apps/web tests those
 * against Postgres): mint with @edgewatt/nats/auth, verify rotations, push revocations to the server.
 */

import { readFile } from "node:fs/promises";
import { createServer, type Server } from "node:http";
import { join } from "node:path";
import {
  connectNats,
  ensureControlPlane,
  type NatsConnection,
  openModelStore,
  putObjectBytes,
} from "@edgewatt/nats";
import {
  createNatsAuthSetup,
  createNkeyPair,
  decodeUserJwt,
  encodeAppAccountJwt,
  mintDeviceUser,
  mintServiceUser,
  mintSystemUser,
  type NatsAuthSetup,
  type NkeyPair,
  pushAccountJwt,
  type Revocations,
  renderServerAuthConfig,
  verifyRotationRequest,
  ZCredentialRotationRequest,
} from "@edgewatt/nats/auth";
import { startNatsServer, type TestNatsServer } from "@edgewatt/nats/testing";
import {
  type EnrollmentResponse,
  KV_BUCKETS,
  kvKeys,
  OBJECT_BUCKETS,
  objectNames,
  subjects,
  ZEnrollmentRequest,
} from "@edgewatt/protocol";
import { Kvm } from "@nats-io/kv";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type RunningAgent, startAgent } from "../src/agent/start-agent";
import type { CliIo } from "../src/cli/io";
import { runCli } from "../src/cli/run-cli";
import { createRecordingLogger } from "../src/log";
import { getIdentity } from "../src/state/identity";
import { findStatus } from "../src/state/status";
import {
  AUTOENCODER_IO,
  assignmentBytes,
  MODELS_DIR,
  manifest,
  readTelemetry,
  removeTempDirs,
  tempStateDir,
  waitFor,
} from "./helpers";

const ORG = "org_op";
const DEVICE = "dev_op";
const MODEL = "mdl_op";

function captureIo(): CliIo & { stdout: string[]; stderr: string[] } {
  const stdout: string[] = [];
  const stderr: string[] = [];
  return { stdout, stderr, out: (l) => stdout.push(l), err: (l) => stderr.push(l) };
}

describe("the agent with per-device credentials (nats-server in operator mode)", () => {
  let setup: NatsAuthSetup;
  let orgKey: NkeyPair;
  const revocations: Revocations = {};
  let server: TestNatsServer;
  let svc: NatsConnection;
  let sys: NatsConnection;
  let portal: Server;
  let portalUrl: string;
  let stateDir: string;
  let agent: RunningAgent | null = null;
  /** The key the portal holds for the device (what it accepts rotations from). */
  let deviceKey: string | null = null;
  const log = createRecordingLogger();

  const publishAccount = async () =>
    pushAccountJwt(
      sys,
      await encodeAppAccountJwt({
        operatorSeed: setup.operator.seed,
        accountPublicKey: setup.account.publicKey,
        signingKeys: [orgKey.publicKey],
        revocations,
      }),
    );
  const revoke = async (key: string) => {
    revocations[key] = Math.floor(Date.now() / 1000);
    await publishAccount();
  };

  beforeAll(async () => {
    setup = await createNatsAuthSetup();
    orgKey = createNkeyPair("account");
    const accountJwt = await encodeAppAccountJwt({
      operatorSeed: setup.operator.seed,
      accountPublicKey: setup.account.publicKey,
      signingKeys: [orgKey.publicKey],
      revocations: {},
    });
    server = await startNatsServer({
      authConfig: (d) =>
        renderServerAuthConfig({
          operatorJwt: setup.operator.jwt,
          systemAccountPublicKey: setup.systemAccount.publicKey,
          accountJwts: [setup.systemAccount.jwt, accountJwt],
          resolverDir: join(d, "jwt"),
        }),
    });
    svc = await connectNats({
      servers: server.url,
      name: "svc",
      credentials: await mintServiceUser({ accountSeed: setup.account.seed, name: "svc" }),
    });
    sys = await connectNats({
      servers: server.url,
      name: "sys",
      credentials: await mintSystemUser({ systemAccountSeed: setup.systemAccount.seed, name: "sys" }),
    });
    await ensureControlPlane(svc);

    const bytes = new Uint8Array(await readFile(join(MODELS_DIR, "nab-conv-autoencoder.onnx")));
    const stored = await putObjectBytes(
      await openModelStore(svc),
      objectNames.modelOriginal(ORG, MODEL),
      bytes,
    );
    await (await new Kvm(svc).open(KV_BUCKETS.deploy)).put(
      kvKeys.deviceAssignment(ORG, DEVICE),
      assignmentBytes({
        deploymentId: "dep_op",
        orgId: ORG,
        deviceId: DEVICE,
        modelId: MODEL,
        modelName: "nab-conv-autoencoder",
        ladder: [manifest("fp32", stored.name, stored, AUTOENCODER_IO)],
        policy: { mode: "static", variant: "fp32" },
      }),
    );

    portal = createServer((req, res) => {
      let body = "";
      req.on("data", (c: Buffer) => {
        body += c.toString("utf8");
      });
      req.on("end", async () => {
        const json = (status: number, value: unknown) => {
          res.writeHead(status, { "content-type": "application/json" });
          res.end(JSON.stringify(value));
        };
        try {
          if (req.url === "/api/agent/enroll") {
            const r = ZEnrollmentRequest.parse(JSON.parse(body));
            if (!r.natsPublicKey)
              return json(400, { error: { code: "BAD_REQUEST", message: "no NATS key" } });
            deviceKey = r.natsPublicKey;
            const jwt = await mintDeviceUser({
              accountPublicKey: setup.account.publicKey,
              orgSigningKeySeed: orgKey.seed,
              orgId: ORG,
              deviceId: DEVICE,
              userPublicKey: r.natsPublicKey,
            });
            const response: EnrollmentResponse = {
              deviceId: DEVICE,
              orgId: ORG,
              deviceName: r.name ?? "device",
              groupId: null,
              nats: { servers: [server.url], credentials: { jwt } },
              buckets: {
                deploy: KV_BUCKETS.deploy,
                policy: KV_BUCKETS.policy,
                models: OBJECT_BUCKETS.models,
              },
              assignmentKey: kvKeys.deviceAssignment(ORG, DEVICE),
              subjects: {
                telemetry: subjects.telemetryEnergy(ORG, DEVICE),
                heartbeat: subjects.heartbeat(ORG, DEVICE),
                prefix: subjects.devicePrefix(ORG, DEVICE),
              },
            };
            return json(201, response);
          }
          if (req.url === "/api/agent/rotate") {
            const r = ZCredentialRotationRequest.parse(JSON.parse(body));
            if (!deviceKey)
              return json(401, { error: { code: "UNAUTHENTICATED", message: "unknown device" } });
            let next: string;
            try {
              next = verifyRotationRequest(r, { deviceId: DEVICE, currentPublicKey: deviceKey });
            } catch (err) {
              return json(401, { error: { code: "UNAUTHENTICATED", message: (err as Error).message } });
            }
            const jwt = await mintDeviceUser({
              accountPublicKey: setup.account.publicKey,
              orgSigningKeySeed: orgKey.seed,
              orgId: ORG,
              deviceId: DEVICE,
              userPublicKey: next,
            });
            const old = deviceKey;
            deviceKey = next;
            await revoke(old);
            return json(200, { deviceId: DEVICE, credentials: { jwt } });
          }
          json(404, { error: { code: "NOT_FOUND", message: "no such route" } });
        } catch (err) {
          json(500, { error: { code: "INTERNAL", message: (err as Error).message } });
        }
      });
    });
    await new Promise<void>((r) => portal.listen(0, "127.0.0.1", () => r()));
    const addr = portal.address();
    portalUrl = `http://127.0.0.1:${typeof addr === "object" && addr ? addr.port : 0}`;
    stateDir = await tempStateDir();
  });

  afterAll(async () => {
    await agent?.stop();
    await svc?.close();
    await sys?.close();
    await server?.stop();
    await new Promise((r) => portal?.close(r));
    await removeTempDirs();
  });

  it("enrolls with its own key: the portal only ever sees the public key", async () => {
    const io = captureIo();
    const code = await runCli(
      ["enroll", "--server", portalUrl, "--token", "ewt_operator_mode", "--state-dir", stateDir],
      io,
    );
    expect(io.stderr).toEqual([]);
    expect(code).toBe(0);
    const identity = await getIdentity(stateDir);
    expect(identity.natsUserSeed).toMatch(/^SU/);
    expect(identity.nats.credentials?.seed).toBe(identity.natsUserSeed);
    const claims = decodeUserJwt(identity.nats.credentials?.jwt ?? "");
    expect(claims.publicKey).toBe(deviceKey);
    expect(claims.issuer).toBe(orgKey.publicKey);
  });

  it("serves and reports through its own credentials", async () => {
    agent = await startAgent({
      stateDir,
      config: { meter: "model", rateHz: 20 },
      flushMs: 200,
      progress: false,
      log,
    });
    await waitFor("inference with telemetry stored", async () => {
      const batches = await readTelemetry(svc, subjects.telemetryEnergy(ORG, DEVICE));
      return batches.flatMap((b) => b.batch.samples).filter((s) => s.kind === "inference").length >= 10;
    });
  });

  it("rotates while running: the old key is revoked, the agent reconnects with the new one", async () => {
    const before = deviceKey;
    const io = captureIo();
    const code = await runCli(["rotate", "--state-dir", stateDir], io);
    expect(io.stderr).toEqual([]);
    expect(code).toBe(0);
    expect(io.stdout.join("\n")).toContain(`old key ${before} (revoked)`);
    expect(deviceKey).not.toBe(before);
    const identity = await getIdentity(stateDir);
    expect(decodeUserJwt(identity.nats.credentials?.jwt ?? "").publicKey).toBe(deviceKey);
    expect(identity.natsNextSeed).toBeUndefined();

    // The server drops the revoked connection; the agent reads the new credentials and is back.
    await waitFor("the credentials refused, then a reconnect", () =>
      log.entries.some((e) => e.msg.startsWith("NATS refused the device's credentials")),
    );
    const since = Date.now();
    await waitFor(
      "telemetry flowing again with the new key",
      async () => {
        const batches = await readTelemetry(svc, subjects.telemetryEnergy(ORG, DEVICE));
        return batches.flatMap((b) => b.batch.samples).some((s) => s.ts > since + 500);
      },
      30_000,
    );
    expect(agent?.stats.connected).toBe(true);
  });

  it("a revoked device is refused, says so, and keeps measuring into its outbox", async () => {
    await revoke(deviceKey as string);
    await waitFor("the refusal", async () => {
      const s = await findStatus(stateDir);
      return s?.connected === false && /revoked or rotated/.test(s.lastError?.message ?? "");
    });
    const depth = agent?.stats.outbox.depth ?? 0;
    await waitFor("samples piling up in the outbox", () => (agent?.stats.outbox.depth ?? 0) > depth + 2);
    const inferences = agent?.stats.inferences ?? 0;
    await waitFor("inference going on", () => (agent?.stats.inferences ?? 0) > inferences + 10);
    // A fresh process with the revoked credentials gets a clear error, not a hang.
    const identity = await getIdentity(stateDir);
    await expect(
      connectNats({
        servers: server.url,
        name: "revoked",
        credentials: identity.nats.credentials,
        timeoutMs: 3000,
      }),
    ).rejects.toThrow(/revoked or rotated; enroll again or rotate them/);
  });
});
