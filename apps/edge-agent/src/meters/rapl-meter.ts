/**
 * The `rapl` meter: Intel/AMD RAPL package energy counters via powercap
 * (`<sysRoot>/class/powercap/intel-rapl:N/energy_uj`, µJ). Energy of a piece of work = the sum over package domains
 * of the counter delta across it. Counters wrap at `max_energy_range_uj`. Package domains only (name "package-N"):
 * sub-domains (core, uncore, dram) are parts of a package or outside it, and `psys` overlaps the packages.
 * Since CVE-2020-8694 `energy_uj` is readable by root only on most kernels.
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

export interface RaplDomain {
  /** The powercap zone directory name, e.g. "intel-rapl:0". */
  zone: string;
  /** The zone's `name`, e.g. "package-0". */
  name: string;
  energyPath: string;
  /** The counter's range in µJ; it wraps to 0 past it. */
  maxEnergyRangeUj: number;
}

export interface RaplMeter extends EnergyMeter {
  readonly source: "rapl";
  readonly domains: readonly RaplDomain[];
}

/** Counter delta in µJ, handling one wrap-around of a counter that runs from 0 to `maxUj`. */
export function raplDeltaUj(beforeUj: number, afterUj: number, maxUj: number): number {
  if (afterUj >= beforeUj) return afterUj - beforeUj;
  return (((afterUj - beforeUj) % maxUj) + maxUj) % maxUj;
}

/** Finds the package domains and checks their counters can be read; the reason when they cannot. */
export async function probeRaplMeter(options: SysfsOptions = {}): Promise<MeterProbe<RaplMeter>> {
  const dir = join(options.sysRoot ?? DEFAULT_SYS_ROOT, "class", "powercap");
  const zones = (await listSysDir(dir)).filter((z) => /^intel-rapl:\d+$/.test(z));
  if (zones.length === 0) return { available: false, source: "rapl", reason: `no RAPL zones in ${dir}` };
  const domains: RaplDomain[] = [];
  for (const zone of zones) {
    const zoneDir = join(dir, zone);
    let name: string | null;
    try {
      name = await findSysText(join(zoneDir, "name"));
    } catch (err) {
      return { available: false, source: "rapl", reason: describeReadError(join(zoneDir, "name"), err) };
    }
    if (name === null || !name.startsWith("package")) continue;
    const energyPath = join(zoneDir, "energy_uj");
    const maxPath = join(zoneDir, "max_energy_range_uj");
    let maxEnergyRangeUj: number;
    try {
      await readSysNumber(energyPath);
    } catch (err) {
      return { available: false, source: "rapl", reason: describeReadError(energyPath, err) };
    }
    try {
      maxEnergyRangeUj = await readSysNumber(maxPath);
    } catch (err) {
      return { available: false, source: "rapl", reason: describeReadError(maxPath, err) };
    }
    if (maxEnergyRangeUj <= 0) {
      return { available: false, source: "rapl", reason: `${maxPath} is ${maxEnergyRangeUj}, expected > 0` };
    }
    domains.push({ zone, name, energyPath, maxEnergyRangeUj });
  }
  if (domains.length === 0) {
    return {
      available: false,
      source: "rapl",
      reason: `no RAPL package domains in ${dir} (zones: ${zones.join(", ")})`,
    };
  }
  return { available: true, meter: createRaplMeter(domains) };
}

export function createRaplMeter(domains: readonly RaplDomain[]): RaplMeter {
  const sample = () => Promise.all(domains.map((d) => readSysNumber(d.energyPath)));
  return {
    source: "rapl",
    domains,
    description: `rapl (${domains.map((d) => `${d.name} via ${d.zone}`).join(", ")}; CPU package energy counters)`,
    measure<T>(fn: () => T | Promise<T>): Promise<Measurement<T>> {
      return measureBetween(
        "rapl",
        sample,
        ({ before, after }) =>
          domains.reduce(
            (sumUj, d, i) => sumUj + raplDeltaUj(before[i] ?? 0, after[i] ?? 0, d.maxEnergyRangeUj),
            0,
          ) / 1e6,
        fn,
      );
    },
  };
}
