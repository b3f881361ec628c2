/**
 * The `hwmon` meter: power sensors under `<sysRoot>/class/hwmon/hwmonN/`, either standard hwmon `power*_input` /
 * `power*_average` (µW, label from `power*_label`) or the Jetson INA3221 style `in_power*_input` (mW, label from
 * `rail_name_*`). Energy of a piece of work = the mean of the power read before and after it × wall time, so it
 * is approximate for short or bursty work. When a rail is the board's total input (VDD_IN, POM_5V_IN) only that
 * rail counts, since the others are parts of it; otherwise all rails are summed.
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

export interface HwmonRail {
  /** e.g. "hwmon2/power1_input" */
  id: string;
  /** The rail's label, or the device name and channel when it has none. */
  label: string;
  path: string;
  /** Multiply the file's value by this to get watts (1e-6 for µW, 1e-3 for mW). */
  toWatts: number;
}

export interface HwmonMeter extends EnergyMeter {
  readonly source: "hwmon";
  readonly rails: readonly HwmonRail[];
}

const TOTAL_INPUT_RAIL = /(^|_)IN$/i;

export async function probeHwmonMeter(options: SysfsOptions = {}): Promise<MeterProbe<HwmonMeter>> {
  const dir = join(options.sysRoot ?? DEFAULT_SYS_ROOT, "class", "hwmon");
  const devices = (await listSysDir(dir)).filter((d) => /^hwmon\d+$/.test(d));
  if (devices.length === 0)
    return { available: false, source: "hwmon", reason: `no hwmon devices in ${dir}` };
  const rails: HwmonRail[] = [];
  const unreadable: string[] = [];
  for (const device of devices) {
    const deviceDir = join(dir, device);
    const deviceName = (await findSysText(join(deviceDir, "name")).catch(() => null)) ?? device;
    for (const file of await listSysDir(deviceDir)) {
      const std = /^power(\d+)_(input|average)$/.exec(file);
      const ina = /^in_power(\d+)_input$/.exec(file);
      const match = std ?? ina;
      if (!match) continue;
      const channel = match[1];
      // A channel with both `_input` and `_average` counts once, by `_input`.
      if (
        std?.[2] === "average" &&
        (await findSysText(join(deviceDir, `power${channel}_input`)).catch(() => null))
      )
        continue;
      const labelFile = std ? `power${channel}_label` : `rail_name_${channel}`;
      const label =
        (await findSysText(join(deviceDir, labelFile)).catch(() => null)) ??
        `${deviceName} ${file.replace("_input", "")}`;
      const path = join(deviceDir, file);
      try {
        await readSysNumber(path);
      } catch (err) {
        unreadable.push(describeReadError(path, err));
        continue;
      }
      rails.push({ id: `${device}/${file}`, label, path, toWatts: std ? 1e-6 : 1e-3 });
    }
  }
  if (rails.length === 0) {
    const reason =
      unreadable.length > 0 ? unreadable.join("; ") : `no power sensors in ${dir} (${devices.join(", ")})`;
    return { available: false, source: "hwmon", reason };
  }
  const total = rails.find((r) => TOTAL_INPUT_RAIL.test(r.label));
  return { available: true, meter: createHwmonMeter(total ? [total] : rails) };
}

export function createHwmonMeter(rails: readonly HwmonRail[]): HwmonMeter {
  const sampleWatts = async () => {
    const values = await Promise.all(rails.map((r) => readSysNumber(r.path)));
    return values.reduce((sum, v, i) => sum + v * (rails[i]?.toWatts ?? 0), 0);
  };
  return {
    source: "hwmon",
    rails,
    description: `hwmon (${rails.map((r) => `${r.label} via ${r.id}`).join(", ")}; mean of power before and after × wall time)`,
    measure<T>(fn: () => T | Promise<T>): Promise<Measurement<T>> {
      return measureBetween(
        "hwmon",
        sampleWatts,
        ({ before, after, wallMs }) => ((before + after) / 2) * (wallMs / 1000),
        fn,
      );
    },
  };
}
