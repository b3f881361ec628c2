/**
 * @edgewatt/engine/sim — the fleet simulator's pure parts: seeded randomness, battery model, power and workload
 * traces, request mix, board speed factors, and the virtual device that ties them together. No clock, network or
 * model runtime: the edge agent's `simulate` command drives these with real onnxruntime sessions and real NATS.
 */
export { BatteryModel, type BatteryOptions } from "./battery";
export {
  createPowerTrace,
  daylight,
  defaultCapacityWh,
  isPowerTraceId,
  POWER_TRACE_IDS,
  type PowerSupply,
  type PowerTrace,
  type PowerTraceId,
  type PowerTraceOptions,
  type SimPowerState,
} from "./power-traces";
export { createRng, deriveSeed, type Rng } from "./prng";
export {
  DEFAULT_PRIORITY_SHARES,
  nextArrivalGapS,
  type PriorityShares,
  parsePriorityShares,
  pickPriority,
  SIM_PRIORITIES,
  type SimPriority,
} from "./request-mix";
export {
  SIM_SPEED_FACTORS,
  type SimulatedRun,
  type SpeedFactor,
  simulateRunEnergy,
  speedFactorOf,
} from "./speed-factors";
export {
  RESTART_PCT,
  VirtualDevice,
  type VirtualDeviceOptions,
  type VirtualDeviceState,
} from "./virtual-device";
