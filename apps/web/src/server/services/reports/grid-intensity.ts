/** Grid carbon intensity for CO2e: the report request's value, else the org's setting, else a default. */

/** g CO2e per kWh when the org has set nothing (a round figure near the world average). */
export const DEFAULT_GRID_INTENSITY_G_PER_KWH = 400;
/** Above any real grid (coal-only generation is about 1,000 g/kWh). */
export const MAX_GRID_INTENSITY_G_PER_KWH = 2000;

export const JOULES_PER_KWH = 3_600_000;

export interface GridIntensity {
  gPerKwh: number;
  /** Where the figure came from: this request, the org's setting, or the default. */
  origin: "request" | "org" | "default";
}

export function resolveGridIntensity(
  requested: number | undefined,
  orgSetting: number | null,
): GridIntensity {
  if (requested !== undefined) return { gPerKwh: requested, origin: "request" };
  if (orgSetting !== null) return { gPerKwh: orgSetting, origin: "org" };
  return { gPerKwh: DEFAULT_GRID_INTENSITY_G_PER_KWH, origin: "default" };
}

export function joulesToKwh(j: number): number {
  return j / JOULES_PER_KWH;
}

/** g CO2e for `j` joules at `grid`. */
export function co2eGrams(j: number, grid: GridIntensity): number {
  return joulesToKwh(j) * grid.gPerKwh;
}
