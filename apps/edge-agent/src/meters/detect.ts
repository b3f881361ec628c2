/** What this machine can measure energy with. Honest: sensors the agent cannot read yet are listed as such. */
import type { EnergySource } from "@edgewatt/protocol";
import { AgentError } from "../errors";
import { probeBatteryMeter } from "./battery-meter";
import { probeHwmonMeter } from "./hwmon-meter";
import { createModelMeter, DEFAULT_PROFILE } from "./model-meter";
import { type NvmlOptions, probeNvmlMeter } from "./nvml-meter";
import { probeRaplMeter } from "./rapl-meter";
import type { SysfsOptions } from "./sysfs";
import type { EnergyMeter } from "./types";

export type MeterStatus = "active" | "available" | "not detected";

export interface MeterInfo {
  source: EnergySource;
  status: MeterStatus;
  detail: string;
}

/**
 * Every meter this machine could use, in preference order, with the one the agent would pick marked `active`
 * (or the one `prefer` names, when it is available). A meter that is not there says why.
 */
export async function listMeters(
  profileName: string,
  options: SysfsOptions & NvmlOptions & { prefer?: EnergySource | "auto" } = {},
): Promise<MeterInfo[]> {
  const detections = await detectMeters({ ...options, profile: profileName });
  const active = chooseMeter(detections, options.prefer ?? "auto");
  const infos: MeterInfo[] = detections.map((d) => ({
    source: d.source,
    status: d.available ? (d.meter === active ? "active" : "available") : "not detected",
    detail: d.available ? d.meter.description : d.reason,
  }));
  for (const d of detections) if (d.available && d.meter !== active) d.meter.close?.();
  active.close?.();
  return infos;
}

/** The sources the agent reports with today (sent to the portal at enrollment). */
export function activeMeterSources(meters: MeterInfo[]): EnergySource[] {
  return meters.filter((m) => m.status === "active").map((m) => m.source);
}

/** One candidate meter: usable, or the reason it is not. */
export type MeterDetection =
  | { source: EnergySource; available: true; meter: EnergyMeter }
  | { source: EnergySource; available: false; reason: string };

export interface DetectMetersOptions extends SysfsOptions, NvmlOptions {
  /** The power profile of the always-available `model` meter. */
  profile?: string;
}

/**
 * Probes the hardware meters (sysfs under its root, nvidia-smi) and returns every candidate in preference order:
 * rapl > hwmon > battery > nvml > model (CPU-side sensors first: onnxruntime-node runs on the CPU). Close the
 * meters you do not use. The `model` meter is always available, so there is always a meter to use.
 */
export async function detectMeters(options: DetectMetersOptions = {}): Promise<MeterDetection[]> {
  const probes = await Promise.all([
    probeRaplMeter(options),
    probeHwmonMeter(options),
    probeBatteryMeter(options),
    probeNvmlMeter(options),
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

/**
 * The meter to use: the best available for `auto`, else the named one — an AgentError saying why it cannot be
 * used when it is not available (a configuration asking for a sensor the device lacks must not silently measure
 * something else).
 */
export function chooseMeter(
  detections: readonly MeterDetection[],
  prefer: EnergySource | "auto",
): EnergyMeter {
  if (prefer === "auto") return pickBestMeter(detections);
  const wanted = detections.find((d) => d.source === prefer);
  if (wanted?.available) return wanted.meter;
  const why = wanted && !wanted.available ? wanted.reason : `this agent has no ${prefer} meter`;
  throw new AgentError(
    "METER_UNAVAILABLE",
    `meter "${prefer}" was asked for but cannot be used: ${why} — set meter to "auto" (or run \`edgewatt-agent meters\` to see what this device has)`,
  );
}

/** Detects the meters, keeps the one `prefer` asks for (see chooseMeter) and closes the others. */
export async function selectMeter(
  options: DetectMetersOptions,
  prefer: EnergySource | "auto",
): Promise<EnergyMeter> {
  const detections = await detectMeters(options);
  let chosen: EnergyMeter;
  try {
    chosen = chooseMeter(detections, prefer);
  } catch (err) {
    for (const d of detections) if (d.available) d.meter.close?.();
    throw err;
  }
  for (const d of detections) if (d.available && d.meter !== chosen) d.meter.close?.();
  return chosen;
}
