/** Number formats of the report page (energy and time formats are in @/lib/format). */

export function formatPct(share: number | null | undefined, digits = 1): string {
  if (share === null || share === undefined || !Number.isFinite(share)) return "—";
  return `${(share * 100).toFixed(digits)} %`;
}

/** Grams of CO2e with a unit that keeps 3 significant digits. */
export function formatGrams(g: number | null | undefined): string {
  if (g === null || g === undefined || !Number.isFinite(g)) return "—";
  const abs = Math.abs(g);
  if (abs === 0) return "0 g";
  if (abs < 1e-3) return `${(g * 1e6).toPrecision(3)} µg`;
  if (abs < 1) return `${(g * 1e3).toPrecision(3)} mg`;
  if (abs < 1000) return `${g.toPrecision(3)} g`;
  return `${(g / 1000).toPrecision(3)} kg`;
}

export function formatKwh(kwh: number | null | undefined): string {
  if (kwh === null || kwh === undefined || !Number.isFinite(kwh)) return "—";
  if (kwh === 0) return "0 kWh";
  if (Math.abs(kwh) < 1) return `${(kwh * 1000).toPrecision(3)} Wh`;
  return `${kwh.toPrecision(3)} kWh`;
}

export function formatHours(h: number | null | undefined): string {
  if (h === null || h === undefined || !Number.isFinite(h)) return "—";
  if (h < 1) return `${Math.round(h * 60)} min`;
  if (h < 48) return `${h.toFixed(1)} h`;
  return `${(h / 24).toFixed(1)} days`;
}

/** A scale for an energy axis: the unit that keeps `max` between 1 and 1000. */
export function energyScale(max: number): { factor: number; unit: string } {
  const abs = Math.abs(max);
  if (abs === 0 || !Number.isFinite(abs)) return { factor: 1, unit: "J" };
  if (abs < 1e-3) return { factor: 1e6, unit: "µJ" };
  if (abs < 1) return { factor: 1e3, unit: "mJ" };
  if (abs < 1e3) return { factor: 1, unit: "J" };
  if (abs < 1e6) return { factor: 1e-3, unit: "kJ" };
  return { factor: 1e-6, unit: "MJ" };
}

/** An axis tick for a bucket start, in UTC: 14:05 for minute/hour buckets (with the date over days), 03-01 for days. */
export function formatBucketTick(ms: number, bucket: string, spanMs: number): string {
  const iso = new Date(ms).toISOString();
  if (bucket === "day") return iso.slice(5, 10);
  if (spanMs > 24 * 3_600_000) return `${iso.slice(5, 10)} ${iso.slice(11, 16)}`;
  return iso.slice(11, 16);
}
