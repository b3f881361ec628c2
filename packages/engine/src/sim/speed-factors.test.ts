import { describe, expect, it } from "vitest";
import { modelEnergyJoules } from "../energy/model-energy";
import { POWER_PROFILE_IDS, POWER_PROFILES } from "../energy/power-profiles";
import { SIM_SPEED_FACTORS, simulateRunEnergy, speedFactorOf } from "./speed-factors";

describe("speed factors and simulated run energy", () => {
  it("has a sourced factor ≥ 1 for every power profile", () => {
    for (const id of POWER_PROFILE_IDS) {
      expect(SIM_SPEED_FACTORS[id].factor).toBeGreaterThanOrEqual(1);
      expect(SIM_SPEED_FACTORS[id].source.length).toBeGreaterThan(20);
    }
    expect(speedFactorOf({ id: "generic-x86" })).toBe(1);
    expect(speedFactorOf({ id: "unknown-board" })).toBe(1);
  });

  it("is the model meter's formula applied to the host run stretched by the factor", () => {
    const profile = POWER_PROFILES["raspberry-pi-4"];
    const run = simulateRunEnergy({ profile, factor: 4, hostCpuS: 0.002, hostWallS: 0.0025 });
    expect(run.deviceCpuS).toBeCloseTo(0.008);
    expect(run.deviceWallS).toBeCloseTo(0.01);
    expect(run.activeJ).toBeCloseTo(0.008 * profile.activeWattsPerCore);
    expect(run.idleJ).toBeCloseTo(0.01 * profile.idleWatts);
    expect(run.energyJ).toBeCloseTo(modelEnergyJoules({ cpuSeconds: 0.008, wallSeconds: 0.01, profile }));
  });
});
