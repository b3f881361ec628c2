/**
 * Energy meters. Each meter tags what it measures with its `source`, so reports never mix sources silently.
 * `model` ships today; `rapl`, `hwmon` and `battery` meters plug in behind the same interface.
 */
import type { EnergySource } from "@edgewatt/protocol";

interface MeasurementBase {
  source: EnergySource;
  /** Energy attributed to the measured work, in joules. */
  energyJ: number;
  wallMs: number;
  /** Process CPU time (user + system, all threads) spent during the work. */
  cpuMs: number;
}

/** The outcome of `measure`: the work's result, or its error — failed work still cost energy. */
export type Measurement<T> = MeasurementBase & ({ ok: true; result: T } | { ok: false; error: unknown });

export interface EnergyMeter {
  readonly source: EnergySource;
  /** A human description: the profile a model meter uses, the sensor a hardware meter reads. */
  readonly description: string;
  measure<T>(fn: () => T | Promise<T>): Promise<Measurement<T>>;
  /** Releases what the meter holds (a poller process); absent when there is nothing to release. */
  close?(): void;
}
