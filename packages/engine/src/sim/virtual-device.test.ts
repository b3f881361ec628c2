import { describe, expect, it } from "vitest";
import { POWER_PROFILES } from "../energy/power-profiles";
import { deriveSeed } from "./prng";
import type { SimPriority } from "./request-mix";
import { RESTART_PCT, VirtualDevice, type VirtualDeviceOptions } from "./virtual-device";

const pi4 = POWER_PROFILES["raspberry-pi-4"];
const T0 = 1_700_000_000_000;

function device(opts: Partial<VirtualDeviceOptions> = {}): VirtualDevice {
  return new VirtualDevice({
    profile: pi4,
    trace: "battery-drain",
    seed: 1,
    rateHz: 2,
    startWallMs: T0,
    ...opts,
  });
}

function collect(d: VirtualDevice, fromMs: number, toMs: number, stepMs: number): SimPriority[] {
  const out: SimPriority[] = [];
  for (let t = fromMs; t <= toMs; t += stepMs) {
    d.advance(t);
    d.arrivals(t, (p) => out.push(p));
  }
  return out;
}

describe("virtual device", () => {
  it("drains its battery by idle power over time and by the active part of each run", () => {
    const d = device({ initialPct: 100, capacityWh: 1 });
    const start = d.state().batteryPct ?? 0;
    d.advance(T0 + 10_000);
    // 10 s of idle at 2.7 W out of 3600 J.
    expect(start - (d.state().batteryPct ?? 0)).toBeCloseTo(((pi4.idleWatts * 10) / 3600) * 100, 6);
    const before = d.state().batteryPct ?? 0;
    const run = d.runEnergy(5, 6, 1);
    d.consume(run);
    expect(run.activeJ).toBeCloseTo(0.005 * d.speedFactor * pi4.activeWattsPerCore);
    expect(before - (d.state().batteryPct ?? 0)).toBeCloseTo((run.activeJ / 3600) * 100, 9);
    expect(d.state().powerState).toBe("battery");
  });

  it("caps host CPU time at threads × wall (other work of the process is not the run's)", () => {
    const d = device({ speedFactor: 1 });
    expect(d.runEnergy(30, 10, 1).deviceCpuS).toBeCloseTo(0.01);
    expect(d.runEnergy(30, 10, 2).deviceCpuS).toBeCloseTo(0.02);
    expect(d.runEnergy(5, 10, 2).deviceCpuS).toBeCloseTo(0.005);
  });

  it("reports each periodic interval's whole energy: idle over the interval plus the runs' active parts", () => {
    const d = device({ trace: "steady" });
    const run = d.runEnergy(4, 4, 1);
    d.consume(run);
    const period = d.takePeriod(T0 + 10_000);
    expect(period.durationMs).toBe(10_000);
    expect(period.energyJ).toBeCloseTo(pi4.idleWatts * 10 + run.activeJ);
    expect(d.takePeriod(T0 + 15_000).energyJ).toBeCloseTo(pi4.idleWatts * 5);
    expect(d.state()).toEqual({
      batteryPct: null,
      batteryTrendPctPerHour: null,
      powerState: "mains",
      on: true,
    });
  });

  it("makes the same arrivals for the same seed, about rateHz of them per second", () => {
    const a = collect(device({ seed: deriveSeed(7, 1) }), T0, T0 + 60_000, 100);
    const b = collect(device({ seed: deriveSeed(7, 1) }), T0, T0 + 60_000, 100);
    const c = collect(device({ seed: deriveSeed(7, 2) }), T0, T0 + 60_000, 100);
    expect(a).toEqual(b);
    expect(a).not.toEqual(c);
    expect(a.length).toBeGreaterThan(90);
    expect(a.length).toBeLessThan(150);
    expect(new Set(a)).toEqual(new Set(["critical", "normal", "background"]));
  });

  it("switches off when the battery is flat and back on once the sun has charged it", () => {
    // A tiny battery, a day per wall minute, starting at dusk.
    const d = device({
      trace: "diurnal-solar",
      capacityWh: 20,
      initialPct: 10,
      startHour: 18,
      timeScale: 1440,
      rateHz: 1,
    });
    const seen: Array<{ hour: number; on: boolean; pct: number; arrivals: number }> = [];
    // Ten steps per wall second, as the simulator's ticker does.
    for (let s = 0.1; s <= 60; s += 0.1) {
      const t = T0 + s * 1000;
      d.advance(t);
      let n = 0;
      d.arrivals(t, () => n++);
      const st = d.state();
      seen.push({ hour: (18 + (s * 1440) / 3600) % 24, on: st.on, pct: st.batteryPct ?? -1, arrivals: n });
    }
    const off = seen.filter((x) => !x.on);
    expect(off.length).toBeGreaterThan(0);
    // Flat during the night, no requests while off.
    expect(off.every((x) => x.arrivals === 0)).toBe(true);
    expect(off.some((x) => x.hour > 18 || x.hour < 6)).toBe(true);
    // The sun brings it back and charges it well past the restart level by the afternoon.
    const last = seen[seen.length - 1];
    expect(last?.on).toBe(true);
    expect(Math.max(...seen.map((x) => x.pct))).toBeGreaterThan(RESTART_PCT * 4);
    expect(d.state().batteryTrendPctPerHour).not.toBeNull();
  });
});
