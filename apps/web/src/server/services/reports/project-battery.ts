/** Battery-life projection of one device from its battery trend (aggregated in SQL by findReportBatteryTrends). */
import type { ReportBatteryRow } from "@edgewatt/db";
import type { PowerState } from "@edgewatt/protocol";

export const MIN_FIT_SAMPLES = 3;
export const MIN_FIT_SPAN_MS = 60_000;

export const BATTERY_STATUSES = ["projected", "on-mains", "not-draining", "not-enough-data"] as const;
export type BatteryStatus = (typeof BATTERY_STATUSES)[number];

export interface BatteryProjection {
  deviceId: string;
  deviceName: string | null;
  simulated: boolean;
  status: BatteryStatus;
  powerState: PowerState;
  /** Battery % of the last periodic sample. */
  batteryPct: number | null;
  lastAt: Date;
  /** Drain in % per hour (positive while discharging), from the least-squares fit. */
  drainPctPerHour: number | null;
  hoursToEmpty: number | null;
  emptyAt: Date | null;
  fitSamples: number;
  /** Why there is no projection, or what it rests on. */
  note: string;
}

export function projectBattery(row: ReportBatteryRow): BatteryProjection {
  const base = {
    deviceId: row.deviceId,
    deviceName: row.deviceName,
    simulated: row.simulated,
    powerState: row.powerState,
    batteryPct: row.batteryPct,
    lastAt: new Date(row.lastAtMs),
    fitSamples: row.fitSamples,
    drainPctPerHour: null,
    hoursToEmpty: null,
    emptyAt: null,
  };
  if (row.powerState === "mains") return { ...base, status: "on-mains", note: "On mains power." };
  if (row.powerState !== "battery" || row.batteryPct === null) {
    return {
      ...base,
      status: "not-enough-data",
      note: "The device reports no battery level or power state.",
    };
  }
  const spanMs = row.fitFromMs !== null && row.fitToMs !== null ? row.fitToMs - row.fitFromMs : 0;
  if (row.slopePctPerHour === null || row.fitSamples < MIN_FIT_SAMPLES || spanMs < MIN_FIT_SPAN_MS) {
    return {
      ...base,
      status: "not-enough-data",
      note: `Not enough data: ${row.fitSamples} sample${row.fitSamples === 1 ? "" : "s"} on battery over ${Math.round(spanMs / 1000)} s (needs ${MIN_FIT_SAMPLES} over ${MIN_FIT_SPAN_MS / 1000} s).`,
    };
  }
  const drain = -row.slopePctPerHour;
  if (drain <= 0) {
    return {
      ...base,
      status: "not-draining",
      drainPctPerHour: drain,
      note: "On battery, but the level is not falling (charging or idle).",
    };
  }
  const hoursToEmpty = row.batteryPct / drain;
  return {
    ...base,
    status: "projected",
    drainPctPerHour: drain,
    hoursToEmpty,
    emptyAt: new Date(row.lastAtMs + hoursToEmpty * 3_600_000),
    note: `From ${row.fitSamples} periodic samples on battery (least squares).`,
  };
}
