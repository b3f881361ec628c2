import type { Heartbeat } from "@edgewatt/protocol";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  ConflictError,
  createDeployment,
  createDevice,
  createDeviceGroup,
  type Device,
  findActiveDeploymentForDevice,
  findAudit,
  findDeploymentsByOrg,
  findDevicesByOrg,
  getDevice,
  InvalidInputError,
  markSilentDevicesOffline,
  NotFoundError,
  recordHeartbeat,
  revokeDevice,
  writeAudit,
} from "../src/index";
import { createTestDatabase, type TestDatabase } from "../src/testing/index";
import { makeModel, makeOrg } from "./fixtures";

describe("devices, deployments and audit", () => {
  let t: TestDatabase;
  let orgId: string;
  let otherOrgId: string;
  let groupId: string;
  let pi: Device;
  let jetson: Device;

  const heartbeat = (device: Device, ts: number): Heartbeat => ({
    orgId: device.orgId,
    deviceId: device.id,
    boot: "boot1",
    ts,
    uptimeS: 5,
    agentVersion: "0.2.0",
    meter: "rapl",
    modelId: null,
    variant: null,
    outboxDepth: 0,
    state: { batteryPct: 80, powerState: "battery", cpuPct: 10, memBytes: 1000, queueDepth: 0 },
  });

  beforeAll(async () => {
    t = await createTestDatabase();
    orgId = (await makeOrg(t.db, "Fleet")).org.id;
    otherOrgId = (await makeOrg(t.db, "Other")).org.id;
    groupId = (await createDeviceGroup(t.db, { orgId, name: "field" })).id;
    const base = {
      orgId,
      platform: { os: "linux", arch: "arm64" },
      meters: ["rapl"],
      agentVersion: "0.1.0",
      enrollmentTokenId: null,
    };
    pi = await createDevice(t.db, { ...base, groupId, name: "pi" });
    jetson = await createDevice(t.db, { ...base, groupId, name: "jetson" });
  });
  afterAll(async () => {
    await t?.drop();
  });

  it("lists devices with their group and scopes getDevice by org", async () => {
    const list = await findDevicesByOrg(t.db, orgId);
    expect(list.map((d) => [d.name, d.groupName])).toEqual([
      ["jetson", "field"],
      ["pi", "field"],
    ]);
    await expect(getDevice(t.db, otherOrgId, pi.id)).rejects.toBeInstanceOf(NotFoundError);
    await expect(createDeviceGroup(t.db, { orgId, name: "field" })).rejects.toBeInstanceOf(ConflictError);
  });

  it("records heartbeats in order and ignores stale or foreign ones", async () => {
    expect(await recordHeartbeat(t.db, pi.id, heartbeat(pi, 2000), new Date(2000))).toBe(true);
    expect(await recordHeartbeat(t.db, pi.id, heartbeat(pi, 1000), new Date(1000))).toBe(false);
    const spoofed = { ...heartbeat(pi, 3000), orgId: otherOrgId };
    expect(await recordHeartbeat(t.db, pi.id, spoofed, new Date(3000))).toBe(false);
    const stored = await getDevice(t.db, orgId, pi.id);
    expect(stored).toMatchObject({ status: "online", agentVersion: "0.2.0", lastSeenAt: new Date(2000) });
    expect(stored.lastHeartbeat?.ts).toBe(2000);
    expect(await markSilentDevicesOffline(t.db, new Date(2500))).toBe(1);
    expect((await getDevice(t.db, orgId, pi.id)).status).toBe("offline");
  });

  it("supersedes the previous deployment and prefers a device's own over its group's", async () => {
    const model = await makeModel(t.db, orgId);
    const g1 = await createDeployment(t.db, { orgId, modelId: model.id, groupId, variantName: "fp32" });
    expect((await findActiveDeploymentForDevice(t.db, orgId, pi.id))?.id).toBe(g1.id);

    const g2 = await createDeployment(t.db, { orgId, modelId: model.id, groupId, variantName: "int8" });
    const own = await createDeployment(t.db, {
      orgId,
      modelId: model.id,
      deviceId: pi.id,
      variantName: "int4",
    });

    expect(await findActiveDeploymentForDevice(t.db, orgId, pi.id)).toMatchObject({
      id: own.id,
      scope: "device",
    });
    expect(await findActiveDeploymentForDevice(t.db, orgId, jetson.id)).toMatchObject({
      id: g2.id,
      scope: "group",
    });
    expect(await findActiveDeploymentForDevice(t.db, otherOrgId, jetson.id)).toBeNull();

    const all = await findDeploymentsByOrg(t.db, orgId);
    expect(all.map((d) => [d.variantName, d.status, d.deviceName, d.groupName, d.modelName])).toEqual([
      ["int4", "active", "pi", null, "classifier"],
      ["int8", "active", null, "field", "classifier"],
      ["fp32", "superseded", null, "field", "classifier"],
    ]);
    expect((await findDeploymentsByOrg(t.db, orgId, { activeOnly: true })).map((d) => d.id)).toEqual([
      own.id,
      g2.id,
    ]);
  });

  it("checks the deployment's target and that everything belongs to the org", async () => {
    const model = await makeModel(t.db, orgId, "checked");
    await expect(
      createDeployment(t.db, { orgId, modelId: model.id, groupId, deviceId: pi.id, variantName: "fp32" }),
    ).rejects.toBeInstanceOf(InvalidInputError);
    await expect(
      createDeployment(t.db, { orgId: otherOrgId, modelId: model.id, deviceId: pi.id, variantName: "fp32" }),
    ).rejects.toBeInstanceOf(NotFoundError);
  });

  it("keeps a revoked device out of deployments", async () => {
    const revoked = await revokeDevice(t.db, orgId, jetson.id);
    expect(revoked.status).toBe("revoked");
    expect(await findActiveDeploymentForDevice(t.db, orgId, jetson.id)).toBeNull();
    expect(await recordHeartbeat(t.db, jetson.id, heartbeat(jetson, 9000), new Date(9000))).toBe(false);
  });

  it("writes and filters the audit log", async () => {
    await writeAudit(t.db, {
      orgId,
      actorUserId: null,
      action: "device.enroll",
      targetType: "device",
      targetId: pi.id,
    });
    await writeAudit(t.db, {
      orgId,
      action: "device.revoke",
      targetType: "device",
      targetId: jetson.id,
      details: { reason: "lost" },
    });
    await writeAudit(t.db, { orgId: otherOrgId, action: "device.revoke", targetType: "device" });
    const revokes = await findAudit(t.db, orgId, { action: "device.revoke" });
    expect(revokes).toHaveLength(1);
    expect(revokes[0]).toMatchObject({ targetId: jetson.id, details: { reason: "lost" } });
    expect((await findAudit(t.db, orgId)).map((e) => e.action)).toEqual(["device.revoke", "device.enroll"]);
    expect(await findAudit(t.db, orgId, { targetId: pi.id, limit: 5 })).toHaveLength(1);
  });
});
