/**
 * The bucketed series of a fleet report as CSV (RFC 4180, CRLF): one row per (bucket, energy source, series),
 * where a series is the whole-device total or one model variant's inferences. The header names every unit; each
 * row names its energy source, so figures of different sources are never merged.
 */
import { type GetFleetReportOptions, getFleetReport } from "./get-fleet-report";
import { co2eGrams, joulesToKwh } from "./grid-intensity";

export interface FleetReportCsv {
  fileName: string;
  /** CSV lines, each ending in CRLF; the report is computed before this is returned (errors throw early). */
  lines: AsyncIterable<string>;
}

export async function exportFleetReportCsv(opts: GetFleetReportOptions): Promise<FleetReportCsv> {
  const report = await getFleetReport(opts);
  const g = report.grid.gPerKwh;
  const header = [
    "bucket_start_utc",
    "bucket",
    "energy_source",
    "simulated",
    "series",
    "model_id",
    "model",
    "variant",
    "inferences",
    "energy_J",
    "energy_per_inference_J",
    "average_power_W",
    "energy_kWh",
    `co2e_g_at_${g}_g_per_kWh`,
  ];
  async function* lines(): AsyncGenerator<string> {
    yield csvLine(header);
    for (const section of report.bySource) {
      const labels = new Map(section.series.variants.map((v) => [v.key, v]));
      const pointsByBucket = new Map<number, typeof section.series.points>();
      for (const p of section.series.points) {
        const t = p.bucketStart.getTime();
        pointsByBucket.set(t, [...(pointsByBucket.get(t) ?? []), p]);
      }
      for (const e of section.series.energy) {
        const start = e.bucketStart.toISOString();
        const common = [start, report.range.bucket, section.source, section.simulated ? "true" : "false"];
        if (e.deviceEnergyJ !== null) {
          yield csvLine([
            ...common,
            "device_total",
            "",
            "",
            "",
            "",
            num(e.deviceEnergyJ),
            "",
            e.averageW === null ? "" : num(e.averageW),
            num(joulesToKwh(e.deviceEnergyJ)),
            num(co2eGrams(e.deviceEnergyJ, report.grid)),
          ]);
        }
        for (const p of pointsByBucket.get(e.bucketStart.getTime()) ?? []) {
          const v = labels.get(p.key);
          yield csvLine([
            ...common,
            "inferences_by_variant",
            v?.modelId ?? "",
            v?.modelName ?? "",
            v?.variant ?? "",
            String(p.inferences),
            num(p.totalJ),
            num(p.energyJPerInference),
            "",
            num(joulesToKwh(p.totalJ)),
            num(co2eGrams(p.totalJ, report.grid)),
          ]);
        }
      }
    }
  }
  return { fileName: csvFileName(report.range.from, report.range.to), lines: lines() };
}

function csvFileName(from: Date, to: Date): string {
  const stamp = (d: Date) => d.toISOString().slice(0, 16).replace(/[-:]/g, "");
  return `edgewatt-report_${stamp(from)}_${stamp(to)}.csv`;
}

function num(n: number): string {
  return Number.isFinite(n) ? String(n) : "";
}

/**
 * One CSV record. Fields with a comma, quote or line break are quoted; text a spreadsheet would run as a formula
 * (=, +, -, @ first) gets a leading apostrophe: names come from devices and users.
 */
export function csvLine(fields: string[]): string {
  return `${fields.map(csvField).join(",")}\r\n`;
}

function csvField(value: string): string {
  const safe = /^[=+\-@\t\r]/.test(value) && !/^-?\d/.test(value) ? `'${value}` : value;
  return /[",\r\n]/.test(safe) ? `"${safe.replace(/"/g, '""')}"` : safe;
}
