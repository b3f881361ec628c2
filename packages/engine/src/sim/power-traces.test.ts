import { describe, expect, it } from "vitest";
import { POWER_PROFILES } from "../energy/power-profiles";
import { createPowerTrace, daylight, defaultCapacityWh, POWER_TRACE_IDS } from "./power-traces";
import { createRng } from "./prng";

const profile = POWER_PROFILES["raspberry-pi-4"];

describe("power traces", () => {
  it("steady: mains, no battery, constant load", () => {
    const t = createPowerTrace("steady", { profile, rng: createRng(1) });
    expect(t.battery).toBeNull();
    expect(t.supply(0)).toEqual({ powerState: "mains", chargeWatts: 0 });
    expect(t.supply(86_400)).toEqual({ powerState: "mains", chargeWatts: 0 });
    expect(t.load(123)).toBe(1);
  });

  it("battery-drain: on battery from t0 with a battery 70–100 % full (seeded), or the given level", () => {
    const levels = Array.from(
      { length: 20 },
      (_, i) => createPowerTrace("battery-drain", { profile, rng: createRng(i) }).battery?.initialPct ?? -1,
    );
    for (const l of levels) expect(l).toBeGreaterThanOrEqual(70);
    for (const l of levels) expect(l).toBeLessThanOrEqual(100);
    expect(createPowerTrace("battery-drain", { profile, rng: createRng(3) }).battery?.initialPct).toBe(
      levels[3],
    );
    const t = createPowerTrace("battery-drain", {
      profile,
      rng: createRng(1),
      initialPct: 55,
      capacityWh: 12,
    });
    expect(t.battery).toEqual({ capacityWh: 12, initialPct: 55 });
    expect(t.supply(3600)).toEqual({ powerState: "battery", chargeWatts: 0 });
    expect(defaultCapacityWh(profile)).toBeCloseTo(profile.idleWatts * 6, 1);
  });

  it("diurnal-solar: charges by day, battery alone at night, load follows daylight", () => {
    const t = createPowerTrace("diurnal-solar", { profile, rng: createRng(9), startHour: 0 });
    const at = (h: number) => t.supply(h * 3600);
    expect(at(3)).toEqual({ powerState: "battery", chargeWatts: 0 });
    expect(at(22).powerState).toBe("battery");
    const noon = at(12);
    expect(noon.powerState).toBe("mains");
    expect(noon.chargeWatts).toBeGreaterThan(2 * (profile.idleWatts + profile.activeWattsPerCore));
    expect(at(9).chargeWatts).toBeLessThan(noon.chargeWatts);
    expect(at(9).chargeWatts).toBeGreaterThan(0);
    // Dawn: some sun, not enough to carry the board.
    expect(at(6.1).powerState).toBe("battery");
    expect(at(6.1).chargeWatts).toBeGreaterThan(0);
    expect(t.load(3 * 3600)).toBeCloseTo(0.6);
    expect(t.load(12 * 3600)).toBeCloseTo(1.4);
    // The next day repeats.
    expect(at(36).chargeWatts).toBeCloseTo(noon.chargeWatts);
    expect(daylight(12)).toBeCloseTo(1);
    expect(daylight(18)).toBe(0);
    expect(daylight(-12)).toBeCloseTo(1);
  });

  it("names the known traces when asked for an unknown one", () => {
    expect(POWER_TRACE_IDS).toEqual(["steady", "battery-drain", "diurnal-solar"]);
    expect(() => createPowerTrace("lunar", { profile, rng: createRng(1) })).toThrowError(
      /unknown power trace "lunar".*steady, battery-drain, diurnal-solar/,
    );
  });
});
