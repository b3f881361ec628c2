/**
 * Scheduling policies: given what the agent observes, pick the variant on the ladder and the runtime settings.
 * `static` ships today; `rule` and `learned` policies implement the same interface.
 */
import type { DeviceState, Priority, SchedulerMode, VariantManifest } from "@edgewatt/protocol";

export interface ObservedState {
  /** The assignment's ladder, in the order the control plane sent it. */
  ladder: readonly VariantManifest[];
  device: DeviceState;
  priority: Priority;
  /** Latency of recent inferences (ms), newest last. */
  recentLatencyMs: readonly number[];
}

export interface SchedulerDecision {
  variant: string;
  threads: number;
}

export interface SchedulerPolicy {
  readonly mode: SchedulerMode;
  decide(state: ObservedState): SchedulerDecision;
}
