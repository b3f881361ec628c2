/** What this machine can measure energy with. Honest: sensors the agent cannot read yet are listed as such. */
import { access, readdir } from "node:fs/promises";
import type { EnergySource } from "@edgewatt/protocol";
import { probeBatteryMeter } from "./battery-meter";
import { probeHwmonMeter } from "./hwmon-meter";
import { createModelMeter, DEFAULT_PROFILE, getPowerProfile } from "./model-meter";
import { probeRaplMeter } from "./rapl-meter";
import type { SysfsOptions } from "./sysfs";
import type { EnergyMeter } from "./types";

export const RAPL_ENERGY_PATH = "/sys/class/powercap/intel-rapl:0/energy_uj";
export const POWER_SUPPLY_DIR = "/sys/class/power_supply";

export type MeterStatus = "active" | "detected, not yet supported" | "not detected";

export interface MeterInfo {
  source: EnergySource;
  status: MeterStatus;
  detail: string;
}

export async function listMeters(profileName: string): Promise<MeterInfo[]> {
  const profile = getPowerProfile(profileName);
  const meters: MeterInfo[] = [
    {
      source: "model",
      status: "active",
      detail:
        `profile ${profile.id} (${profile.label}), approximate: ` +
        `process CPU time × ${profile.activeWattsPerCore} W/core + ${profile.idleWatts} W idle × wall time`,
    },
  ];
  const rapl = await exists(RAPL_ENERGY_PATH);
  meters.push({
    source: "rapl",
    status: rapl ? "detected, not yet supported" : "not detected",
    detail: rapl ? `${RAPL_ENERGY_PATH} exists` : `${RAPL_ENERGY_PATH} not found`,
  });
  const supplies = await readdir(POWER_SUPPLY_DIR).catch(() => null);
  meters.push({
    source: "battery",
    status: supplies && supplies.length > 0 ? "detected, not yet supported" : "not detected",
    detail:
      supplies === null
        ? `${POWER_SUPPLY_DIR} not found`
        : supplies.length === 0
          ? `${POWER_SUPPLY_DIR} is empty`
          : `${POWER_SUPPLY_DIR}: ${supplies.join(", ")}`,
  });
  return meters;
}

/** The sources the agent reports with today (sent to the portal at enrollment). */
export function activeMeterSources(meters: MeterInfo[]): EnergySource[] {
  return meters.filter((m) => m.status === "active").map((m) => m.source);
}

async function exists(path: string): Promise<boolean> {
  try {
    await access(path);
    return true;
  } catch {
    return false;
  }
}

/** One candidate meter: usable, or the reason it is not. */
export type MeterDetection =
  | { source: EnergySource; available: true; meter: EnergyMeter }
  | { source: EnergySource; available: false; reason: string };

export interface DetectMetersOptions extends SysfsOptions {
  /** The power profile of the always-available `model` meter. */
  profile?: string;
}

/**
 * Probes the hardware meters under the sysfs root and returns every candidate in preference order:
 * rapl > hwmon > battery > model. The `model` meter is always available, so there is always a meter to use.
 */
export async function detectMeters(options: DetectMetersOptions = {}): Promise<MeterDetection[]> {
  const probes = await Promise.all([
    probeRaplMeter(options),
    probeHwmonMeter(options),
    probeBatteryMeter(options),
  ]);
  const detections: MeterDetection[] = probes.map((p) =>
    p.available
      ? { source: p.meter.source, available: true, meter: p.meter }
      : { source: p.source, available: false, reason: p.reason },
  );
  detections.push({
    source: "model",
    available: true,
    meter: createModelMeter(options.profile ?? DEFAULT_PROFILE),
  });
  return detections;
}

/** The most preferred available meter of a `detectMeters` result. */
export function pickBestMeter(detections: readonly MeterDetection[]): EnergyMeter {
  for (const d of detections) if (d.available) return d.meter;
  return createModelMeter(DEFAULT_PROFILE);
}
