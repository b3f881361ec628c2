import { createDevice, type Device, getDevice, revokeDevice } from "@edgewatt/db";
import { encode, type Heartbeat, subjects, ZHeartbeat } from "@edgewatt/protocol";
import { type JetStreamClient, jetstream } from "@nats-io/jetstream";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type Harness, seedOrg, startHarness, waitFor } from "./support";

describe("device heartbeats", () => {
  let h: Harness;
  let js: JetStreamClient;
  let orgId: string;

  beforeAll(async () => {
    h = await startHarness();
    js = jetstream(h.nc);
    orgId = await seedOrg(h.db);
  });
  afterAll(async () => {
    await h?.close();
  });

  const enroll = (name: string): Promise<Device> =>
    createDevice(h.db, {
      orgId,
      groupId: null,
      name,
      platform: { os: "linux", arch: "x64" },
      meters: ["model"],
      agentVersion: "0.0.1",
      enrollmentTokenId: null,
    });

  const heartbeat = (device: Device, overrides: Partial<Heartbeat> = {}): Heartbeat => ({
    orgId: device.orgId,
    deviceId: device.id,
    boot: "boot_1",
    ts: Date.now(),
    uptimeS: 12,
    agentVersion: "0.1.0",
    meter: "model",
    modelId: null,
    variant: null,
    outboxDepth: 0,
    state: { batteryPct: 55, powerState: "battery", cpuPct: 7, memBytes: 123456, queueDepth: 1 },
    ...overrides,
  });

  it("marks the device online with its last heartbeat", async () => {
    const device = await enroll("sensor-1");
    expect(device.status).toBe("enrolled");
    await js.publish(subjects.heartbeat(orgId, device.id), encode(ZHeartbeat, heartbeat(device)));

    const online = await waitFor("the device to be online", async () => {
      const d = await getDevice(h.db, orgId, device.id);
      return d.status === "online" ? d : null;
    });
    expect(online.lastSeenAt).toBeInstanceOf(Date);
    expect(online.lastHeartbeat).toMatchObject({ boot: "boot_1", uptimeS: 12, state: { batteryPct: 55 } });
    expect(online.agentVersion).toBe("0.1.0");
  });

  it("rejects a heartbeat published on one device's subject for another device", async () => {
    const a = await enroll("sensor-a");
    const b = await enroll("sensor-b");
    const rejected = h.worker.stats.heartbeats.rejected;
    await js.publish(subjects.heartbeat(orgId, a.id), encode(ZHeartbeat, heartbeat(b)));
    await js.publish(subjects.heartbeat(orgId, a.id), new TextEncoder().encode("nope"));
    await waitFor("both rejections", () => h.worker.stats.heartbeats.rejected === rejected + 2);
    expect((await getDevice(h.db, orgId, b.id)).status).toBe("enrolled");

    // The loop is still alive: a valid heartbeat afterwards is recorded.
    await js.publish(subjects.heartbeat(orgId, b.id), encode(ZHeartbeat, heartbeat(b)));
    await waitFor("device b online", async () => (await getDevice(h.db, orgId, b.id)).status === "online");
  });

  it("ignores heartbeats from a revoked device", async () => {
    const device = await enroll("sensor-revoked");
    await revokeDevice(h.db, orgId, device.id);
    const ignored = h.worker.stats.heartbeats.ignored;
    await js.publish(subjects.heartbeat(orgId, device.id), encode(ZHeartbeat, heartbeat(device)));
    await waitFor("the heartbeat to be ignored", () => h.worker.stats.heartbeats.ignored === ignored + 1);
    expect((await getDevice(h.db, orgId, device.id)).status).toBe("revoked");
  });
});
