import { describe, expect, it } from "vitest";
import { EnergyModelError } from "../errors";
import { modelEnergyJoules, splitModelEnergy } from "./model-energy";
import { POWER_PROFILES } from "./power-profiles";

describe("model energy", () => {
  const profile = { idleWatts: 2, activeWattsPerCore: 1.5 };

  it("is cpuSeconds × activeWattsPerCore + idleWatts × wallSeconds", () => {
    expect(modelEnergyJoules({ cpuSeconds: 4, wallSeconds: 2, profile })).toBe(4 * 1.5 + 2 * 2);
    expect(splitModelEnergy({ cpuSeconds: 4, wallSeconds: 2, profile })).toEqual({
      activeJoules: 6,
      idleJoules: 4,
      totalJoules: 10,
    });
  });

  it("is zero for no work and no time, and idle-only with no CPU", () => {
    expect(modelEnergyJoules({ cpuSeconds: 0, wallSeconds: 0, profile })).toBe(0);
    expect(modelEnergyJoules({ cpuSeconds: 0, wallSeconds: 3, profile })).toBe(6);
  });

  it("uses a real profile: one Pi 4 core busy for 1 s", () => {
    const pi = POWER_PROFILES["raspberry-pi-4"];
    expect(modelEnergyJoules({ cpuSeconds: 1, wallSeconds: 1, profile: pi })).toBeCloseTo(
      pi.idleWatts + pi.activeWattsPerCore,
    );
  });

  it("rejects negative or non-finite inputs", () => {
    expect(() => modelEnergyJoules({ cpuSeconds: -1, wallSeconds: 1, profile })).toThrowError(
      EnergyModelError,
    );
    expect(() => modelEnergyJoules({ cpuSeconds: 1, wallSeconds: Number.NaN, profile })).toThrowError(
      /wallSeconds/,
    );
  });
});
