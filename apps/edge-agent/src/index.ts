/** The EdgeWatt edge agent's public surface: start the daemon in-process, enroll, and the pluggable parts. */

export {
  createPolicy,
  type ObservedState,
  type SchedulerDecision,
  type SchedulerPolicy,
} from "@edgewatt/engine/scheduler";
export { type RunningAgent, type StartAgentOptions, startAgent } from "./agent/start-agent";
export type { AgentStats } from "./agent/stats";
export { runCli } from "./cli/run-cli";
export { type EnrollDeviceOptions, type EnrollDeviceResult, enrollDevice } from "./enroll/enroll-device";
export { AgentError, type AgentErrorCode } from "./errors";
export type { InputSource } from "./inputs/input-source";
export { type InputSpec, parseInputSpec } from "./inputs/parse-input";
export { listMeters, type MeterInfo } from "./meters/detect";
export { createModelMeter, DEFAULT_PROFILE } from "./meters/model-meter";
export type { EnergyMeter, Measurement } from "./meters/types";
export { findIdentity, type Identity, writeIdentity, ZIdentity } from "./state/identity";
export { resolveStateDir, statePaths } from "./state/paths";
export { type AgentStatus, findStatus } from "./state/status";
export { Outbox, type OutboxEntry, type OutboxStats } from "./telemetry/outbox";
