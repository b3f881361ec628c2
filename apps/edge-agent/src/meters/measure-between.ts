/** The shared shape of a hardware meter's `measure`: read the sensor, run the work, read the sensor again. */
import type { EnergySource } from "@edgewatt/protocol";
import type { Measurement } from "./types";

export interface SensorWindow<S> {
  before: S;
  after: S;
  wallMs: number;
}

/**
 * Samples the sensor before and after `fn`, and turns the two samples into joules with `energyJ`. A sensor that
 * cannot be read before the work throws before the work runs; the work's own error is reported, not thrown.
 */
export async function measureBetween<S, T>(
  source: EnergySource,
  sample: () => Promise<S>,
  energyJ: (window: SensorWindow<S>) => number,
  fn: () => T | Promise<T>,
): Promise<Measurement<T>> {
  const before = await sample();
  const cpu0 = process.cpuUsage();
  const t0 = process.hrtime.bigint();
  let outcome: { ok: true; result: T } | { ok: false; error: unknown };
  try {
    outcome = { ok: true, result: await fn() };
  } catch (error) {
    outcome = { ok: false, error };
  }
  const wallMs = Number(process.hrtime.bigint() - t0) / 1e6;
  const cpu = process.cpuUsage(cpu0);
  const after = await sample();
  return {
    source,
    energyJ: energyJ({ before, after, wallMs }),
    wallMs,
    cpuMs: (cpu.user + cpu.system) / 1000,
    ...outcome,
  };
}

/** A meter that can be used, or the reason it cannot. */
export type MeterProbe<M> =
  | { available: true; meter: M }
  | { available: false; source: EnergySource; reason: string };
