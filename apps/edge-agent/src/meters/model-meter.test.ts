import { POWER_PROFILES } from "@edgewatt/engine/energy";
import { describe, expect, it } from "vitest";
import { AgentError } from "../errors";
import { createModelMeter, getPowerProfile } from "./model-meter";

/** Deterministic CPU work: `n` rounds of a floating-point recurrence. */
function burn(n: number): number {
  let x = 0.5;
  for (let i = 0; i < n; i++) x = (x * 3.9 * (1 - x) + Math.sqrt(i)) % 1;
  return x;
}

describe("model meter", () => {
  it("tags every measurement with source 'model' and returns the work's result", async () => {
    const meter = createModelMeter("generic-x86");
    expect(meter.source).toBe("model");
    const m = await meter.measure(() => 42);
    expect(m.source).toBe("model");
    expect(m.ok && m.result).toBe(42);
  });

  it("charges CPU time × active watts per core plus idle watts × wall time", async () => {
    const meter = createModelMeter("raspberry-pi-4");
    const p = POWER_PROFILES["raspberry-pi-4"];
    const m = await meter.measure(() => burn(2_000_000));
    expect(m.cpuMs).toBeGreaterThan(0);
    expect(m.energyJ).toBeCloseTo(
      (m.cpuMs / 1000) * p.activeWattsPerCore + (m.wallMs / 1000) * p.idleWatts,
      9,
    );
  });

  it("energy grows with CPU work", async () => {
    const meter = createModelMeter("generic-x86");
    const small = await meter.measure(() => burn(200_000));
    const large = await meter.measure(() => burn(20_000_000));
    expect(large.cpuMs).toBeGreaterThan(small.cpuMs);
    expect(large.energyJ).toBeGreaterThan(small.energyJ);
  });

  it("while waiting, energy is (almost only) the idle part: idleWatts × wall time", async () => {
    const meter = createModelMeter("generic-x86");
    const p = POWER_PROFILES["generic-x86"];
    const m = await meter.measure(() => new Promise((r) => setTimeout(r, 150)));
    const idleJ = (m.wallMs / 1000) * p.idleWatts;
    expect(m.wallMs).toBeGreaterThanOrEqual(140);
    expect(m.energyJ).toBeGreaterThanOrEqual(idleJ);
    // What is above the idle part is exactly the (small) CPU time the process spent meanwhile.
    expect(m.energyJ - idleJ).toBeCloseTo((m.cpuMs / 1000) * p.activeWattsPerCore, 9);
    expect(m.cpuMs).toBeLessThan(m.wallMs);
  });

  it("measures failed work too, and reports the error", async () => {
    const meter = createModelMeter();
    const m = await meter.measure(async () => {
      burn(100_000);
      throw new Error("boom");
    });
    expect(m.ok).toBe(false);
    if (!m.ok) expect((m.error as Error).message).toBe("boom");
    expect(m.energyJ).toBeGreaterThan(0);
  });

  it("refuses an unknown profile with the list of known ones", () => {
    expect(() => getPowerProfile("toaster")).toThrow(AgentError);
    expect(() => getPowerProfile("toaster")).toThrow(/generic-x86/);
  });
});
