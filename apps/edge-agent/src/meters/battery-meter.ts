/**
 * The `battery` meter: system batteries under `<sysRoot>/class/power_supply/` (type "Battery", or named BAT*;
 * peripheral batteries with scope "Device" are skipped). Per battery, the best attribute it has:
 * `energy_now` (µWh) delta; else `charge_now` (µAh) delta × mean `voltage_now` (µV); else mean `power_now` (µW)
 * × wall time. Energy counts only what the battery gave out: while charging the drain is hidden by the charger,
 * so `readState()` reports the status. Firmware updates `energy_now` / `charge_now` every few seconds, so short
 * work reads as 0 J; long windows are meaningful.
 */
import { join } from "node:path";
import { type MeterProbe, measureBetween } from "./measure-between";
import {
  DEFAULT_SYS_ROOT,
  describeReadError,
  findSysText,
  listSysDir,
  readSysNumber,
  type SysfsOptions,
} from "./sysfs";
import type { EnergyMeter, Measurement } from "./types";

export const BATTERY_MODES = ["energy", "charge", "power"] as const;
export type BatteryMode = (typeof BATTERY_MODES)[number];

/** The kernel's `status` values, plus "Unknown" for anything else. */
export const BATTERY_STATUSES = ["Charging", "Discharging", "Not charging", "Full", "Unknown"] as const;
export type BatteryStatus = (typeof BATTERY_STATUSES)[number];

export interface Battery {
  name: string;
  dir: string;
  mode: BatteryMode;
}

export interface BatteryState {
  name: string;
  /** `capacity`, 0–100, or null when the battery does not report it. */
  capacityPercent: number | null;
  status: BatteryStatus;
}

export interface BatteryMeter extends EnergyMeter {
  readonly source: "battery";
  readonly batteries: readonly Battery[];
  /** Charge level and charging status of each battery. */
  readState(): Promise<BatteryState[]>;
}

const UWH_TO_J = 3.6e-3;

export async function probeBatteryMeter(options: SysfsOptions = {}): Promise<MeterProbe<BatteryMeter>> {
  const dir = join(options.sysRoot ?? DEFAULT_SYS_ROOT, "class", "power_supply");
  const supplies = await listSysDir(dir);
  const batteries: Battery[] = [];
  const reasons: string[] = [];
  for (const name of supplies) {
    const supplyDir = join(dir, name);
    const type = await findSysText(join(supplyDir, "type")).catch(() => null);
    const scope = await findSysText(join(supplyDir, "scope")).catch(() => null);
    if (!(type === "Battery" || (type === null && /^BAT/i.test(name))) || scope === "Device") continue;
    const mode = await findMode(supplyDir);
    if (typeof mode === "string") batteries.push({ name, dir: supplyDir, mode });
    else reasons.push(`${name}: ${mode.reason}`);
  }
  if (batteries.length === 0) {
    const reason =
      reasons.length > 0
        ? reasons.join("; ")
        : supplies.length === 0
          ? `no power supplies in ${dir}`
          : `no system battery in ${dir} (${supplies.join(", ")})`;
    return { available: false, source: "battery", reason };
  }
  return { available: true, meter: createBatteryMeter(batteries) };
}

async function findMode(supplyDir: string): Promise<BatteryMode | { reason: string }> {
  const candidates: [BatteryMode, string[]][] = [
    ["energy", ["energy_now"]],
    ["charge", ["charge_now", "voltage_now"]],
    ["power", ["power_now"]],
  ];
  let firstError: string | null = null;
  for (const [mode, files] of candidates) {
    let readable = true;
    for (const f of files) {
      const path = join(supplyDir, f);
      try {
        await readSysNumber(path);
      } catch (err) {
        readable = false;
        if (firstError === null && (err as { code?: string }).code !== "ENOENT") {
          firstError = describeReadError(path, err);
        }
        break;
      }
    }
    if (readable) return mode;
  }
  return { reason: firstError ?? "has none of energy_now, charge_now + voltage_now, power_now" };
}

interface BatterySample {
  energyUwh?: number;
  chargeUah?: number;
  voltageUv?: number;
  powerUw?: number;
}

async function sampleBattery(b: Battery): Promise<BatterySample> {
  const read = (f: string) => readSysNumber(join(b.dir, f));
  switch (b.mode) {
    case "energy":
      return { energyUwh: await read("energy_now") };
    case "charge":
      return { chargeUah: await read("charge_now"), voltageUv: await read("voltage_now") };
    case "power":
      return { powerUw: await read("power_now") };
  }
}

/** Joules one battery gave out between two samples (never negative: a charging battery gave out nothing we see). */
export function batteryEnergyJ(
  mode: BatteryMode,
  before: BatterySample,
  after: BatterySample,
  wallMs: number,
): number {
  switch (mode) {
    case "energy":
      return Math.max(0, (before.energyUwh ?? 0) - (after.energyUwh ?? 0)) * UWH_TO_J;
    case "charge": {
      const meanVolts = ((before.voltageUv ?? 0) + (after.voltageUv ?? 0)) / 2 / 1e6;
      return Math.max(0, (before.chargeUah ?? 0) - (after.chargeUah ?? 0)) * meanVolts * UWH_TO_J;
    }
    case "power":
      return (((before.powerUw ?? 0) + (after.powerUw ?? 0)) / 2 / 1e6) * (wallMs / 1000);
  }
}

export function createBatteryMeter(batteries: readonly Battery[]): BatteryMeter {
  const sample = () => Promise.all(batteries.map(sampleBattery));
  return {
    source: "battery",
    batteries,
    description: `battery (${batteries.map((b) => `${b.name} via ${b.mode === "energy" ? "energy_now" : b.mode === "charge" ? "charge_now × voltage_now" : "power_now × wall time"}`).join(", ")}; counts only while discharging)`,
    measure<T>(fn: () => T | Promise<T>): Promise<Measurement<T>> {
      return measureBetween(
        "battery",
        sample,
        ({ before, after, wallMs }) =>
          batteries.reduce(
            (sum, b, i) => sum + batteryEnergyJ(b.mode, before[i] ?? {}, after[i] ?? {}, wallMs),
            0,
          ),
        fn,
      );
    },
    readState(): Promise<BatteryState[]> {
      return Promise.all(
        batteries.map(async (b) => {
          const capacity = await findSysText(join(b.dir, "capacity")).catch(() => null);
          const status = await findSysText(join(b.dir, "status")).catch(() => null);
          const capacityPercent = capacity === null || capacity === "" ? null : Number(capacity);
          return {
            name: b.name,
            capacityPercent:
              capacityPercent !== null && Number.isFinite(capacityPercent) ? capacityPercent : null,
            status: BATTERY_STATUSES.find((s) => s === status) ?? "Unknown",
          };
        }),
      );
    },
  };
}
