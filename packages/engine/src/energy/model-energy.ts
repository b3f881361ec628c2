/**
 * The `model` energy estimate: energy = CPU time × active watts per core + idle watts × wall time.
 * CPU seconds are summed over cores (as process.cpuUsage reports them), so 2 cores busy for 1 s = 2 s.
 */
import { EnergyModelError } from "../errors";
import type { PowerProfile } from "./power-profiles";

export interface ModelEnergyInput {
  /** CPU seconds consumed by the work, summed over cores (user + system). */
  cpuSeconds: number;
  /** Wall-clock seconds the work took. */
  wallSeconds: number;
  profile: Pick<PowerProfile, "idleWatts" | "activeWattsPerCore">;
}

export interface ModelEnergyBreakdown {
  /** cpuSeconds × activeWattsPerCore: the part attributable to the computation. */
  activeJoules: number;
  /** idleWatts × wallSeconds: the board's baseline over the same period. */
  idleJoules: number;
  totalJoules: number;
}

function check(name: string, value: number): void {
  if (!Number.isFinite(value) || value < 0) {
    throw new EnergyModelError("ENERGY_INPUT_INVALID", `${name} must be a finite number ≥ 0, got ${value}`);
  }
}

export function splitModelEnergy(input: ModelEnergyInput): ModelEnergyBreakdown {
  check("cpuSeconds", input.cpuSeconds);
  check("wallSeconds", input.wallSeconds);
  check("profile.idleWatts", input.profile.idleWatts);
  check("profile.activeWattsPerCore", input.profile.activeWattsPerCore);
  const activeJoules = input.cpuSeconds * input.profile.activeWattsPerCore;
  const idleJoules = input.profile.idleWatts * input.wallSeconds;
  return { activeJoules, idleJoules, totalJoules: activeJoules + idleJoules };
}

/** Total joules: cpuSeconds × activeWattsPerCore + idleWatts × wallSeconds. */
export function modelEnergyJoules(input: ModelEnergyInput): number {
  return splitModelEnergy(input).totalJoules;
}
