import type { EnergySource } from "@edgewatt/protocol";

/** How each energy figure was obtained, in words a report can show next to the number. */
export const ENERGY_SOURCE_LABELS: Record<EnergySource, string> = {
  rapl: "RAPL (CPU package energy counter)",
  hwmon: "hwmon (board power sensor)",
  battery: "battery (fuel gauge)",
  nvml: "NVML (GPU power)",
  model: "model (CPU time × power profile)",
  simulated: "simulated (fleet simulator)",
};

export function energySourceLabel(source: string | null | undefined): string {
  if (!source) return "unknown";
  return ENERGY_SOURCE_LABELS[source as EnergySource] ?? source;
}
