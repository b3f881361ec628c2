/**
 * Power and workload traces for virtual devices: what supplies the device at each simulated second, the battery
 * it starts with, and how busy it is relative to its base request rate.
 *
 * - `steady`: on mains, no battery (a powered gateway); constant load.
 * - `battery-drain`: unplugged from t0 on a battery that starts 70–100 % full; constant load.
 * - `diurnal-solar`: a solar panel charges the battery by day (half a sine from 06:00 to 18:00, peak ≈ 3.5× the
 *   board's one-core power, ±20 % per device) and the battery alone carries it at night; the device counts as
 *   externally powered ("mains", as a Linux power_supply with an online charger reads) while the panel covers
 *   at least its idle power. Load follows daylight (0.6× at night, up to 1.4× at noon). Compress a day with the
 *   simulator's time scale (e.g. 1440: a day per wall minute).
 */

import type { PowerProfile } from "../energy/power-profiles";
import { EnergyModelError } from "../errors";
import type { Rng } from "./prng";

export const POWER_TRACE_IDS = ["steady", "battery-drain", "diurnal-solar"] as const;
export type PowerTraceId = (typeof POWER_TRACE_IDS)[number];

export type SimPowerState = "mains" | "battery";

export interface PowerSupply {
  powerState: SimPowerState;
  /** Power flowing into the battery from outside (W); 0 without a battery or a charger. */
  chargeWatts: number;
}

export interface PowerTrace {
  readonly id: PowerTraceId;
  /** Battery at t0; null = the device has none. */
  readonly battery: { capacityWh: number; initialPct: number } | null;
  supply(simS: number): PowerSupply;
  /** Request-rate multiplier at `simS` (1 = the base rate). */
  load(simS: number): number;
}

export interface PowerTraceOptions {
  profile: Pick<PowerProfile, "idleWatts" | "activeWattsPerCore">;
  /** Per-device randomness (start level, panel size). */
  rng: Rng;
  /** Overrides the default capacity (the board's idle power for 6 hours). */
  capacityWh?: number;
  /** Overrides the trace's start level (%). */
  initialPct?: number;
  /** diurnal-solar: hour of day at t0 (default 6, sunrise). */
  startHour?: number;
}

const SUNRISE_H = 6;
const DAYLIGHT_H = 12;
const HOUR_S = 3600;

export function isPowerTraceId(id: string): id is PowerTraceId {
  return (POWER_TRACE_IDS as readonly string[]).includes(id);
}

/** The default battery: six hours of the board's idle power. */
export function defaultCapacityWh(profile: Pick<PowerProfile, "idleWatts">): number {
  return Math.round(profile.idleWatts * 6 * 10) / 10;
}

/** Sun on the panel at `hourOfDay` (0..24): 0 at night, 1 at noon. */
export function daylight(hourOfDay: number): number {
  const h = ((hourOfDay % 24) + 24) % 24;
  if (h <= SUNRISE_H || h >= SUNRISE_H + DAYLIGHT_H) return 0;
  return Math.sin((Math.PI * (h - SUNRISE_H)) / DAYLIGHT_H);
}

export function createPowerTrace(id: string, opts: PowerTraceOptions): PowerTrace {
  const capacityWh = opts.capacityWh ?? defaultCapacityWh(opts.profile);
  const startPct = (min: number, max: number) =>
    opts.initialPct ?? Math.round(opts.rng.uniform(min, max) * 10) / 10;
  switch (id) {
    case "steady":
      return {
        id,
        battery: null,
        supply: () => ({ powerState: "mains", chargeWatts: 0 }),
        load: () => 1,
      };
    case "battery-drain": {
      const battery = { capacityWh, initialPct: startPct(70, 100) };
      return {
        id,
        battery,
        supply: () => ({ powerState: "battery", chargeWatts: 0 }),
        load: () => 1,
      };
    }
    case "diurnal-solar": {
      const battery = { capacityWh, initialPct: startPct(40, 80) };
      const startHour = opts.startHour ?? SUNRISE_H;
      const peakWatts =
        3.5 * (opts.profile.idleWatts + opts.profile.activeWattsPerCore) * opts.rng.uniform(0.8, 1.2);
      const hourAt = (simS: number) => startHour + simS / HOUR_S;
      return {
        id,
        battery,
        supply: (simS) => {
          const chargeWatts = peakWatts * daylight(hourAt(simS));
          return {
            powerState: chargeWatts >= opts.profile.idleWatts ? "mains" : "battery",
            chargeWatts,
          };
        },
        load: (simS) => 0.6 + 0.8 * daylight(hourAt(simS)),
      };
    }
    default:
      throw new EnergyModelError(
        "ENERGY_INPUT_INVALID",
        `unknown power trace "${id}"; known traces: ${POWER_TRACE_IDS.join(", ")}`,
      );
  }
}
