/** The agent's energy meters: the `model` meter and the sysfs hardware meters (rapl, hwmon, battery). */
export {
  BATTERY_MODES,
  BATTERY_STATUSES,
  type Battery,
  type BatteryMeter,
  type BatteryMode,
  type BatteryState,
  type BatteryStatus,
  batteryEnergyJ,
  createBatteryMeter,
  probeBatteryMeter,
} from "./battery-meter";
export {
  activeMeterSources,
  type DetectMetersOptions,
  detectMeters,
  listMeters,
  type MeterDetection,
  type MeterInfo,
  type MeterStatus,
  pickBestMeter,
} from "./detect";
export { createHwmonMeter, type HwmonMeter, type HwmonRail, probeHwmonMeter } from "./hwmon-meter";
export type { MeterProbe } from "./measure-between";
export { createModelMeter, DEFAULT_PROFILE, getPowerProfile, type ModelMeter } from "./model-meter";
export { createRaplMeter, probeRaplMeter, type RaplDomain, type RaplMeter, raplDeltaUj } from "./rapl-meter";
export { DEFAULT_SYS_ROOT, type SysfsOptions } from "./sysfs";
export type { EnergyMeter, Measurement } from "./types";
