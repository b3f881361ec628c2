/**
 * Staged rollouts through the portal's API (real Postgres + nats-server): canary selection and baseline, what lands
 * in KV DEPLOY, promotion to the rest of the group, a person's rollback restoring every canary device's previous
 * assignment, and the refusals (roles, tenants, empty groups, models without variants, a second canary).
 */
import { readFile } from "node:fs/promises";
import { Readable } from "node:stream";
import {
  createDevice,
  createDeviceGroup,
  createEnergyPolicy,
  findDeploymentsByOrg,
  insertTelemetryBatch,
  revokeDevice,
} from "@edgewatt/db";
import { decode, KV_BUCKETS, kvKeys, ZDeploymentAssignment } from "@edgewatt/protocol";
import { Kvm } from "@nats-io/kv";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { Actor } from "../src/server/services/actor";
import { uploadModel } from "../src/server/services/models/upload-model";
import { addMember, callerFor, createOrg, type Infra, MODEL_PATH, startInfra, trpcFailure } from "./helpers";

describe("staged rollouts", () => {
  let infra: Infra;
  let owner: Actor;
  let modelId: string;
  let groupId: string;
  let deviceIds: string[];

  const caller = (actor: Actor) => callerFor(infra, actor);
  const failure = trpcFailure;
  const assignmentOf = async (deviceId: string) => {
    const kv = await new Kvm(infra.nc).open(KV_BUCKETS.deploy);
    const entry = await kv.get(kvKeys.deviceAssignment(owner.orgId, deviceId));
    if (!entry || entry.operation !== "PUT" || entry.value.length === 0) return null;
    const decoded = decode(ZDeploymentAssignment, entry.value);
    if (!decoded.ok) throw decoded.error;
    return decoded.value;
  };

  beforeAll(async () => {
    infra = await startInfra();
    owner = await createOrg(infra.db, "Rollers");
    const bytes = await readFile(MODEL_PATH);
    modelId = (
      await uploadModel({
        db: infra.db,
        nc: infra.nc,
        actor: owner,
        name: "autoencoder",
        fileName: "nab-conv-autoencoder.onnx",
        body: Readable.from([bytes]),
        contentLength: bytes.length,
        maxBytes: 10 * 1024 * 1024,
      })
    ).modelId;
    const group = await createDeviceGroup(infra.db, { orgId: owner.orgId, name: "field" });
    groupId = group.id;
    deviceIds = [];
    for (let i = 0; i < 4; i++) {
      const d = await createDevice(infra.db, {
        orgId: owner.orgId,
        groupId,
        name: `pi-${i}`,
        platform: { os: "linux", arch: "arm64" },
        meters: ["model"],
        agentVersion: "0.0.0",
        enrollmentTokenId: null,
      });
      deviceIds.push(d.id);
    }
    deviceIds.sort();
    // The first device already runs a deployment: the rollout must be able to put it back.
    await caller(owner).deployments.create({
      modelId,
      deviceId: deviceIds[0] as string,
      variantName: "fp32",
    });
    // A day of that device's telemetry: the baseline.
    await insertTelemetryBatch(infra.db, {
      orgId: owner.orgId,
      deviceId: deviceIds[0] as string,
      boot: "b0",
      simulated: false,
      samples: Array.from({ length: 10 }, (_, i) => ({
        seq: i,
        ts: Date.now() - 3_600_000 + i * 1000,
        kind: "inference" as const,
        energyJ: 0.01,
        energySource: "model" as const,
        durationMs: 1,
        modelId,
        variant: "fp32",
        threads: 1,
        priority: "normal" as const,
        ok: i !== 0,
        decision: null,
        state: { batteryPct: null, powerState: "mains" as const, cpuPct: 5, memBytes: 1, queueDepth: 0 },
      })),
    });
  });
  afterAll(async () => {
    await infra?.stop();
  });

  it("refuses what cannot be rolled out, with the reason", async () => {
    const member = await addMember(infra.db, owner.orgId, "member");
    expect(
      (
        await failure(
          caller(member).deployments.startRollout({ modelId, groupId, variantName: "fp32", canaryPct: 25 }),
        )
      ).code,
    ).toBe("FORBIDDEN");
    const empty = await createDeviceGroup(infra.db, { orgId: owner.orgId, name: "empty" });
    const noDevices = await failure(
      caller(owner).deployments.startRollout({
        modelId,
        groupId: empty.id,
        variantName: "fp32",
        canaryPct: 25,
      }),
    );
    expect(noDevices.message).toMatch(/has no enrolled devices/);
    const noPolicy = await failure(
      caller(owner).deployments.startRollout({
        modelId,
        groupId,
        variantName: "group-policy",
        canaryPct: 25,
      }),
    );
    expect(noPolicy.message).toMatch(/has no energy policy/);
    const badVariant = await failure(
      caller(owner).deployments.startRollout({ modelId, groupId, variantName: "int3", canaryPct: 25 }),
    );
    expect(badVariant.message).toMatch(/no ready variant "int3"; ready: fp32/);
    const stranger = await createOrg(infra.db, "Strangers");
    expect(
      (
        await failure(
          caller(stranger).deployments.startRollout({ modelId, groupId, variantName: "fp32", canaryPct: 25 }),
        )
      ).code,
    ).toBe("NOT_FOUND");
  });

  it("starts with the canary share only, keeping each canary's previous assignment and a baseline", async () => {
    const before = await assignmentOf(deviceIds[0] as string);
    const rollout = await caller(owner).deployments.startRollout({
      modelId,
      groupId,
      variantName: "fp32",
      canaryPct: 40,
      maxErrorRate: 0.2,
    });
    // 40 % of 4 devices, rounded up: the first two by id.
    expect(rollout.canaryDeviceIds).toEqual(deviceIds.slice(0, 2));
    expect(rollout).toMatchObject({ status: "canary", maxErrorRate: 0.2, maxEnergyRegressionPct: 20 });
    expect(rollout.baseline).toMatchObject({
      samples: 10,
      errorRate: 0.1,
      energyJPerInference: 0.01,
      source: "model",
    });
    expect(rollout.previousAssignments[deviceIds[1] as string]).toBeNull();
    expect(
      Buffer.from(rollout.previousAssignments[deviceIds[0] as string] as string, "base64").length,
    ).toBeGreaterThan(0);
    for (const id of deviceIds.slice(0, 2)) {
      expect((await assignmentOf(id))?.deploymentId).toBe(rollout.deploymentIds[id]);
    }
    expect(await assignmentOf(deviceIds[2] as string)).toBeNull();
    expect(before?.deploymentId).not.toBe(rollout.deploymentIds[deviceIds[0] as string]);
    const second = await failure(
      caller(owner).deployments.startRollout({ modelId, groupId, variantName: "fp32", canaryPct: 10 }),
    );
    expect(second.message).toMatch(/already has a rollout in canary/);

    // A person rolls it back: device 0 runs its previous deployment again, device 1 nothing.
    const back = await caller(owner).deployments.rollBackRollout({
      rolloutId: rollout.id,
      reason: "testing",
    });
    expect(back).toMatchObject({ status: "rolled_back", reason: "rolled back by a person: testing" });
    expect((await assignmentOf(deviceIds[0] as string))?.deploymentId).toBe(before?.deploymentId);
    expect(await assignmentOf(deviceIds[1] as string)).toBeNull();
    const deployments = await findDeploymentsByOrg(infra.db, owner.orgId);
    const status = (id: string | undefined) => deployments.find((d) => d.id === id)?.status;
    expect(status(before?.deploymentId)).toBe("active");
    expect(status(rollout.deploymentIds[deviceIds[0] as string])).toBe("rolled_back");
    const again = await failure(caller(owner).deployments.promoteRollout({ rolloutId: rollout.id }));
    expect(again.message).toMatch(/only a canary can be promoted or rolled back/);
  });

  it("promotes a canary to every device of the group, with the group's policy by its KV key", async () => {
    const policy = await createEnergyPolicy(infra.db, {
      orgId: owner.orgId,
      name: "saver",
      mode: "rule",
      config: {},
    });
    const { updateDeviceGroup } = await import("@edgewatt/db");
    await updateDeviceGroup(infra.db, owner.orgId, groupId, { policyId: policy.id });
    const revoked = deviceIds[3] as string;
    await revokeDevice(infra.db, owner.orgId, revoked);
    const rollout = await caller(owner).deployments.startRollout({
      modelId,
      groupId,
      variantName: "group-policy",
      canaryPct: 1,
    });
    expect(rollout.canaryDeviceIds).toEqual([deviceIds[0]]);
    const promoted = await caller(owner).deployments.promoteRollout({ rolloutId: rollout.id });
    expect(promoted.status).toBe("promoted");
    for (const id of deviceIds.slice(0, 3)) {
      const a = await assignmentOf(id);
      expect(a?.policy).toEqual({ mode: "rule", key: kvKeys.groupPolicy(owner.orgId, groupId) });
      expect(a?.deploymentId).toBe(promoted.deploymentIds[id]);
    }
    // A revoked device gets nothing.
    expect(promoted.deploymentIds[revoked]).toBeUndefined();
    const history = await caller(owner).deployments.rollouts();
    expect(history.map((r) => [r.status, r.groupName, r.modelName])).toEqual([
      ["promoted", "field", "autoencoder"],
      ["rolled_back", "field", "autoencoder"],
    ]);
  });
});
