import { describe, expect, it } from "vitest";
import { EnergyModelError } from "../errors";
import { BatteryModel } from "./battery";

describe("battery model", () => {
  it("keeps charge in joules of its Wh capacity, clamped to empty and full", () => {
    const b = new BatteryModel({ capacityWh: 10, initialPct: 50 });
    expect(b.capacityJ).toBe(36_000);
    expect(b.pct).toBe(50);
    expect(b.drain(3600)).toBe(3600);
    expect(b.pct).toBeCloseTo(40);
    expect(b.storedWh).toBeCloseTo(4);
    expect(b.charge(10, 360)).toBe(3600);
    expect(b.pct).toBeCloseTo(50);
    expect(b.charge(100, 3600)).toBe(18_000);
    expect(b.pct).toBe(100);
    expect(b.drain(1e9)).toBe(36_000);
    expect(b.pct).toBe(0);
    expect(b.empty).toBe(true);
    expect(b.drain(-5)).toBe(0);
  });

  it("reports the trend in %/h once a simulated minute of readings exists", () => {
    const b = new BatteryModel({ capacityWh: 10, initialPct: 100 });
    b.note(0);
    // 3.6 W for 30 s: −0.3 %, but half a minute is too short for a trend.
    b.drain(3.6 * 30);
    b.note(30);
    expect(b.trendPctPerHour).toBeNull();
    // 3.6 W out of 10 Wh is −36 %/h; keep draining for 20 simulated minutes, reading every 10 s.
    for (let t = 40; t <= 1200; t += 10) {
      b.drain(3.6 * 10);
      b.note(t);
    }
    expect(b.trendPctPerHour).toBeCloseTo(-36, 1);
    // Charging turns it positive within the window.
    for (let t = 1210; t <= 2400; t += 10) {
      b.charge(1.8, 10);
      b.note(t);
    }
    expect(b.trendPctPerHour).toBeCloseTo(18, 0);
  });

  it("refuses a capacity ≤ 0 or a start level outside 0..100", () => {
    expect(() => new BatteryModel({ capacityWh: 0, initialPct: 50 })).toThrowError(EnergyModelError);
    expect(() => new BatteryModel({ capacityWh: 5, initialPct: 101 })).toThrowError(/0\.\.100/);
  });
});
