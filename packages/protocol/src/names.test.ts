import { describe, expect, it } from "vitest";
import { kvKeys, objectNames, parseDeviceSubject, subjects, telemetryMsgId } from "./names";

describe("names", () => {
  it("builds device subjects under the device's own prefix", () => {
    expect(subjects.telemetryEnergy("org_1", "dev_2")).toBe("ew.org_1.dev.dev_2.tele.energy");
    expect(subjects.heartbeat("org_1", "dev_2")).toBe("ew.org_1.dev.dev_2.evt.heartbeat");
    expect(subjects.deviceCommand("org_1", "dev_2", "rotate")).toBe("ew.org_1.dev.dev_2.cmd.rotate");
    expect(parseDeviceSubject("ew.org_1.dev.dev_2.tele.energy")).toEqual({ org: "org_1", device: "dev_2" });
    expect(parseDeviceSubject("ew.jobs.optimize")).toBeNull();
  });
  it("refuses ids that would inject wildcards or separators", () => {
    expect(() => subjects.telemetryEnergy("org.1", "dev")).toThrow(/not a valid subject token/);
    expect(() => subjects.telemetryEnergy("org", "*")).toThrow();
    expect(() => subjects.telemetryEnergy("org", ">")).toThrow();
    expect(() => objectNames.modelVariant("o", "m", "../x")).toThrow();
  });
  it("builds keys, object names and msg ids", () => {
    expect(kvKeys.deviceAssignment("org_1", "dev_2")).toBe("org_1.dev_2");
    expect(objectNames.modelVariant("org_1", "mdl_1", "int8-dynamic")).toBe("org_1/mdl_1/int8-dynamic.onnx");
    expect(telemetryMsgId("dev_2", "boot1", 42)).toBe("dev_2:boot1:42");
  });
});
