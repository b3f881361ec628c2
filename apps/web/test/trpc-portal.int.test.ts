/**
 * The tRPC API end to end over real Postgres and nats-server: authentication, roles, tenant isolation,
 * error mapping, and the deploy path (token → enrollment → deployment → KV DEPLOY → revoke).
 */
import { readFile } from "node:fs/promises";
import { Readable } from "node:stream";
import { insertTelemetryBatch, recordHeartbeat } from "@edgewatt/db";
import { decode, KV_BUCKETS, kvKeys, ZDeploymentAssignment } from "@edgewatt/protocol";
import { Kvm } from "@nats-io/kv";
import { TRPCError } from "@trpc/server";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { SessionClaims } from "../src/server/auth/config";
import type { Actor } from "../src/server/services/actor";
import { enrollDevice } from "../src/server/services/devices/enroll-device";
import { uploadModel } from "../src/server/services/models/upload-model";
import { createCaller } from "../src/server/trpc/root";
import { addMember, createOrg, type Infra, MODEL_PATH, startInfra } from "./helpers";

const ORIGIN = "https://portal.example.test";

describe("tRPC API (real Postgres + nats-server)", () => {
  let infra: Infra;
  let owner: Actor;
  let modelId: string;

  function caller(actor: Actor | null) {
    const claims: SessionClaims | undefined = actor
      ? { userId: actor.userId, orgId: actor.orgId, orgName: "Test", role: actor.role }
      : undefined;
    return createCaller({ claims, db: infra.db, nats: async () => infra.nc, origin: ORIGIN });
  }

  async function trpcError(promise: Promise<unknown>): Promise<TRPCError> {
    const err = await promise.then(
      () => {
        throw new Error("expected the call to fail");
      },
      (e: unknown) => e,
    );
    expect(err).toBeInstanceOf(TRPCError);
    return err as TRPCError;
  }

  beforeAll(async () => {
    infra = await startInfra();
    owner = await createOrg(infra.db, "Portal");
    const bytes = await readFile(MODEL_PATH);
    const uploaded = await uploadModel({
      db: infra.db,
      nc: infra.nc,
      actor: owner,
      name: "autoencoder",
      fileName: "nab-conv-autoencoder.onnx",
      body: Readable.from([bytes]),
      contentLength: bytes.length,
      maxBytes: 10 * 1024 * 1024,
    });
    modelId = uploaded.modelId;
  });
  afterAll(async () => {
    await infra?.stop();
  });

  it("refuses callers without a session", async () => {
    const err = await trpcError(caller(null).models.list());
    expect(err.code).toBe("UNAUTHORIZED");
    expect(err.message).toMatch(/not signed in/);
  });

  it("refuses a session whose membership has ended", async () => {
    const err = await trpcError(caller({ ...owner, userId: "usr_removed000000000000" }).models.list());
    expect(err.code).toBe("UNAUTHORIZED");
  });

  it("lists and gets models of the session's org with inspection, ladder and jobs", async () => {
    const list = await caller(owner).models.list();
    expect(list).toHaveLength(1);
    expect(list[0]).toMatchObject({
      id: modelId,
      name: "autoencoder",
      readyVariants: 1,
      latestJob: { status: "queued" },
    });
    const detail = await caller(owner).models.get({ modelId });
    expect(detail.model.inspection.opHistogram).toMatchObject({ Conv: 3 });
    expect(detail.variants.map((v) => v.name)).toEqual(["fp32"]);
    expect(detail.jobs).toHaveLength(1);
  });

  it("keeps tenants apart: another org sees nothing and cannot read by id", async () => {
    const stranger = await createOrg(infra.db, "Other");
    expect(await caller(stranger).models.list()).toEqual([]);
    const err = await trpcError(caller(stranger).models.get({ modelId }));
    expect(err.code).toBe("NOT_FOUND");
    const deploy = await trpcError(
      caller(stranger).deployments.create({ modelId, deviceId: "dev_none", variantName: "fp32" }),
    );
    expect(deploy.code).toBe("NOT_FOUND");
  });

  it("lets viewers read but not change anything", async () => {
    const viewer = await addMember(infra.db, owner.orgId, "viewer");
    expect(await caller(viewer).models.list()).toHaveLength(1);
    const err = await trpcError(
      caller(viewer).models.startOptimization({ modelId, recipe: ["quantize-dynamic-int8"] }),
    );
    expect(err.code).toBe("FORBIDDEN");
    expect(err.message).toMatch(/viewer/);
    const token = await trpcError(caller(viewer).tokens.create({ expiresInHours: 1, maxUses: 1 }));
    expect(token.code).toBe("FORBIDDEN");
  });

  it("validates input at the boundary", async () => {
    const err = await trpcError(caller(owner).tokens.create({ expiresInHours: 0, maxUses: 1 }));
    expect(err.code).toBe("BAD_REQUEST");
    const tooMany = await trpcError(caller(owner).tokens.create({ expiresInHours: 721, maxUses: 1 }));
    expect(tooMany.code).toBe("BAD_REQUEST");
  });

  it("starts another optimization job, and names unknown passes", async () => {
    const started = await caller(owner).models.startOptimization({
      modelId,
      recipe: ["quantize-dynamic-int8"],
    });
    expect(started).toMatchObject({ queued: true, job: { status: "queued", modelId } });
    const ladder = await caller(owner).models.startOptimization({ modelId, recipe: ["auto"] });
    expect(ladder).toMatchObject({ queued: true, job: { recipe: ["auto"] } });
    const err = await trpcError(
      caller(owner).models.startOptimization({ modelId, recipe: ["prune-everything"] }),
    );
    expect(err.code).toBe("BAD_REQUEST");
    expect(err.message).toMatch(
      /Unknown optimization pass.*prune-everything.*Known passes: auto \(the standard ladder\), .*quantize-dynamic-int8/,
    );
  });

  it("deploys a ready variant to an enrolled device through KV DEPLOY, then revokes the device", async () => {
    const api = caller(owner);
    const token = await api.tokens.create({ label: "line 3", expiresInHours: 2, maxUses: 1 });
    expect(token.command).toBe(`pnpm edgewatt-agent enroll --server ${ORIGIN} --token ${token.secret}`);
    expect((await api.tokens.list()).map((t) => t.id)).toContain(token.token.id);

    const enrolled = await enrollDevice({
      db: infra.db,
      request: {
        token: token.secret,
        agentVersion: "0.1.0",
        platform: { os: "linux", arch: "x64" },
        meters: ["model"],
      },
      natsServers: "nats://127.0.0.1:4222",
    });
    const deviceId = enrolled.deviceId;
    expect((await api.devices.list()).find((d) => d.id === deviceId)?.presence).toBe("never-seen");

    const missing = await trpcError(api.deployments.create({ modelId, deviceId, variantName: "int4-awq" }));
    expect(missing.code).toBe("BAD_REQUEST");
    expect(missing.message).toMatch(/no variant named "int4-awq"; ready variants: fp32/);

    const { deployment, assignment } = await api.deployments.create({
      modelId,
      deviceId,
      variantName: "fp32",
    });
    expect(assignment).toMatchObject({
      deploymentId: deployment.id,
      orgId: owner.orgId,
      deviceId,
      modelId,
      modelName: "autoencoder",
      policy: { mode: "static", variant: "fp32" },
    });
    const kv = await new Kvm(infra.nc).open(KV_BUCKETS.deploy);
    const entry = await kv.get(kvKeys.deviceAssignment(owner.orgId, deviceId));
    const decoded = decode(ZDeploymentAssignment, entry!.value);
    expect(decoded.ok).toBe(true);
    if (!decoded.ok) return;
    expect(decoded.value.ladder).toHaveLength(1);
    expect(decoded.value.ladder[0]).toMatchObject({
      name: "fp32",
      bucket: "MODELS",
      passes: [],
      inputs: [{ name: "window", elemType: "float32" }],
      outputs: [{ name: "reconstruction", elemType: "float32" }],
      fidelity: null,
    });

    // The agent reports: a heartbeat and a telemetry batch show up on the device page.
    const now = Date.now();
    await recordHeartbeat(
      infra.db,
      deviceId,
      {
        orgId: owner.orgId,
        deviceId,
        boot: "boot1",
        ts: now,
        uptimeS: 12,
        agentVersion: "0.1.0",
        meter: "model",
        modelId,
        variant: "fp32",
        outboxDepth: 0,
        state: { batteryPct: 81, powerState: "battery", cpuPct: 12, memBytes: 1000, queueDepth: 0 },
      },
      new Date(now),
    );
    await insertTelemetryBatch(infra.db, {
      orgId: owner.orgId,
      deviceId,
      boot: "boot1",
      simulated: false,
      samples: [1, 2, 3].map((seq) => ({
        seq,
        ts: now + seq,
        kind: "inference" as const,
        energyJ: 0.002 * seq,
        energySource: "model" as const,
        durationMs: seq,
        modelId,
        variant: "fp32",
        threads: 1,
        priority: "normal" as const,
        ok: true,
        decision: null,
        state: { batteryPct: 81, powerState: "battery" as const, cpuPct: 12, memBytes: 1000, queueDepth: 0 },
      })),
    });
    const detail = await api.devices.get({ deviceId });
    expect(detail.device).toMatchObject({
      presence: "online",
      batteryPct: 81,
      meter: "model",
      currentVariant: "fp32",
    });
    expect(detail.deployment).toMatchObject({ id: deployment.id, variantName: "fp32", scope: "device" });
    expect(detail.energy).toHaveLength(1);
    expect(detail.energy[0]).toMatchObject({
      variant: "fp32",
      energySource: "model",
      inferences: 3,
      latencyP50Ms: 2,
    });
    expect(detail.energy[0]!.meanJPerInference).toBeCloseTo(0.004, 9);
    expect(detail.recentSamples).toHaveLength(3);
    expect((await api.deployments.list({ activeOnly: true })).map((d) => d.id)).toEqual([deployment.id]);

    const revoked = await api.devices.revoke({ deviceId });
    expect(revoked.presence).toBe("revoked");
    const after = await kv.get(kvKeys.deviceAssignment(owner.orgId, deviceId));
    expect(after === null || after.operation === "DEL").toBe(true);
    const again = await trpcError(api.deployments.create({ modelId, deviceId, variantName: "fp32" }));
    expect(again.code).toBe("CONFLICT");
    expect(again.message).toMatch(/was revoked; enroll it again/);
  });
});
