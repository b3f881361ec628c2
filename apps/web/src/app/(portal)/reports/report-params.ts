/**
 * The report page's state as it lives in the URL (so a report can be shared, printed and exported as shown):
 * a preset or custom range, the filters and an optional grid intensity for this report.
 */

export const RANGE_PRESETS = [
  { id: "1h", label: "Last hour", ms: 3_600_000 },
  { id: "24h", label: "Last 24 hours", ms: 24 * 3_600_000 },
  { id: "7d", label: "Last 7 days", ms: 7 * 24 * 3_600_000 },
] as const;
export type RangePreset = (typeof RANGE_PRESETS)[number]["id"];
export type RangeChoice = RangePreset | "custom";

export interface ReportParams {
  range: RangeChoice;
  /** Custom range, as ISO 8601 strings (empty until chosen). */
  from: string;
  to: string;
  groupId: string;
  deviceId: string;
  modelId: string;
  /** g CO2e/kWh for this report only (empty: the org's setting). */
  grid: string;
}

type SearchParams = Record<string, string | string[] | undefined>;

function one(sp: SearchParams, key: string): string {
  const v = sp[key];
  return (Array.isArray(v) ? v[0] : v)?.trim() ?? "";
}

export function parseReportParams(sp: SearchParams): ReportParams {
  const range = one(sp, "range");
  const known = RANGE_PRESETS.some((p) => p.id === range) || range === "custom";
  return {
    range: known ? (range as RangeChoice) : "24h",
    from: one(sp, "from"),
    to: one(sp, "to"),
    groupId: one(sp, "groupId"),
    deviceId: one(sp, "deviceId"),
    modelId: one(sp, "modelId"),
    grid: one(sp, "grid"),
  };
}

/** The page's query string (`/reports?…`); empty values are left out. */
export function reportSearch(p: ReportParams, extra: Record<string, string> = {}): string {
  const q = new URLSearchParams();
  q.set("range", p.range);
  if (p.range === "custom") {
    if (p.from) q.set("from", p.from);
    if (p.to) q.set("to", p.to);
  }
  for (const key of ["groupId", "deviceId", "modelId", "grid"] as const) if (p[key]) q.set(key, p[key]);
  for (const [k, v] of Object.entries(extra)) q.set(k, v);
  return q.toString();
}

/** The dates a report covers: a preset ends at `anchorMs` (the time the page last refreshed). */
export function resolveDates(p: ReportParams, anchorMs: number): { from: Date; to: Date } | null {
  if (p.range === "custom") {
    const from = new Date(p.from);
    const to = new Date(p.to);
    if (!p.from || !p.to || Number.isNaN(from.getTime()) || Number.isNaN(to.getTime())) return null;
    return { from, to };
  }
  const preset = RANGE_PRESETS.find((r) => r.id === p.range) ?? RANGE_PRESETS[1];
  return { from: new Date(anchorMs - preset.ms), to: new Date(anchorMs) };
}

/** The CSV export's URL for the same report. */
export function csvHref(p: ReportParams, dates: { from: Date; to: Date }): string {
  const q = new URLSearchParams({ from: dates.from.toISOString(), to: dates.to.toISOString() });
  if (p.groupId) q.set("groupId", p.groupId);
  if (p.deviceId) q.set("deviceId", p.deviceId);
  if (p.modelId) q.set("modelId", p.modelId);
  if (p.grid) q.set("gridIntensity", p.grid);
  return `/api/reports/csv?${q.toString()}`;
}

/** ISO string → the value of an `<input type="datetime-local">` in the browser's time zone. */
export function isoToLocalInput(iso: string): string {
  const d = new Date(iso);
  if (!iso || Number.isNaN(d.getTime())) return "";
  const pad = (n: number) => String(n).padStart(2, "0");
  return `${d.getFullYear()}-${pad(d.getMonth() + 1)}-${pad(d.getDate())}T${pad(d.getHours())}:${pad(d.getMinutes())}`;
}

/** `<input type="datetime-local">` value (browser time zone) → ISO string; empty when incomplete. */
export function localInputToIso(value: string): string {
  const d = new Date(value);
  return value && !Number.isNaN(d.getTime()) ? d.toISOString() : "";
}
