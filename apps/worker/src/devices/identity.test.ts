import { subjects } from "@edgewatt/protocol";
import { describe, expect, it } from "vitest";
import { allHeartbeatsFilter } from "./heartbeats";
import { checkDeviceIdentity } from "./identity";

describe("checkDeviceIdentity", () => {
  const subject = subjects.telemetryEnergy("org_a", "dev_a");

  it("accepts a message naming the org and device of its subject", () => {
    expect(checkDeviceIdentity(subject, { orgId: "org_a", deviceId: "dev_a" })).toEqual({ ok: true });
  });

  it("rejects another device or another org, saying why", () => {
    const other = checkDeviceIdentity(subject, { orgId: "org_a", deviceId: "dev_b" });
    expect(other).toMatchObject({ ok: false, reason: expect.stringContaining("may only report for itself") });
    expect(checkDeviceIdentity(subject, { orgId: "org_b", deviceId: "dev_a" }).ok).toBe(false);
  });

  it("rejects a subject that is not a device subject", () => {
    expect(checkDeviceIdentity("ew.jobs.optimize", { orgId: "org_a", deviceId: "dev_a" })).toMatchObject({
      ok: false,
      reason: expect.stringContaining("not a device subject"),
    });
  });
});

describe("allHeartbeatsFilter", () => {
  it("matches every device's heartbeat subject and nothing else", () => {
    expect(allHeartbeatsFilter()).toBe("ew.*.dev.*.evt.heartbeat");
    expect(subjects.heartbeat("org_x", "dev_y").replace(/^ew\.[^.]+\.dev\.[^.]+\./, "ew.*.dev.*.")).toBe(
      allHeartbeatsFilter(),
    );
  });
});
