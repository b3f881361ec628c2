import { describe, expect, it } from "vitest";
import { findPowerProfile, getPowerProfile, POWER_PROFILE_IDS, POWER_PROFILES } from "./power-profiles";

describe("power profiles", () => {
  it("covers the reference devices with plausible, sourced, approximate numbers", () => {
    for (const id of ["raspberry-pi-4", "raspberry-pi-5", "jetson-nano", "jetson-orin-nano", "generic-x86"]) {
      expect(POWER_PROFILE_IDS).toContain(id);
    }
    for (const profile of Object.values(POWER_PROFILES)) {
      expect(profile.idleWatts).toBeGreaterThan(0);
      expect(profile.activeWattsPerCore).toBeGreaterThan(0);
      expect(profile.cores).toBeGreaterThanOrEqual(1);
      expect(profile.approximate).toBe(true);
      expect(profile.source.length).toBeGreaterThan(40);
      // all cores busy should stay within the board's power budget class (< 40 W for these devices)
      expect(profile.idleWatts + profile.cores * profile.activeWattsPerCore).toBeLessThan(40);
    }
  });

  it("get* throws for unknown ids, find* returns undefined", () => {
    expect(getPowerProfile("jetson-nano").cores).toBe(4);
    expect(findPowerProfile("toaster")).toBeUndefined();
    expect(findPowerProfile("toString")).toBeUndefined();
    expect(() => getPowerProfile("toaster")).toThrowError(
      /unknown device power profile 'toaster'.*raspberry-pi-4/,
    );
  });
});
