/**
 * Scheduling policies: given what a device observes right now, pick the ladder variant and intra-op threads for
 * one request. The edge agent calls `decide` per request and the fleet simulator per simulated request, so it must
 * be cheap and must not throw for a non-empty ladder.
 */
import type { PowerState, Priority, SchedulerMode } from "@edgewatt/protocol";

/** One variant of the deployment's ladder, as the policy sees it. */
export interface LadderEntry {
  name: string;
  /** Measured quality relative to the original (1 = identical); null when unknown. */
  fidelity: number | null;
  sizeBytes: number;
  /** The control plane's figures per inference, when measured. */
  energyJ: number | null;
  latencyMs: number | null;
}

export interface ObservedState {
  /**
   * In the control plane's order (first = highest quality, usually fp32). Policies treat it as immutable and cache
   * what they derive from it per array: pass the same array while the ladder is unchanged.
   */
  ladder: readonly LadderEntry[];
  priority: Priority;
  /** null = no battery. */
  batteryPct: number | null;
  /** Negative when draining. */
  batteryTrendPctPerHour: number | null;
  powerState: PowerState;
  queueDepth: number;
  /** This device's median latency over a recent window (ms). */
  recentLatencyMsP50: number | null;
  /** This device's measured EWMA energy per inference (J), per variant name. */
  observedEnergyJ: ReadonlyMap<string, number>;
  /** Minutes after midnight on the device's local clock (for quiet hours); absent = unknown. */
  localMinutes?: number | null;
}

export interface SchedulerDecision {
  variant: string;
  threads: number;
  /** Short code saying why (e.g. "battery-low"); recorded with each inference's telemetry. */
  reason: string;
}

export interface SchedulerPolicy {
  readonly mode: SchedulerMode;
  /** The artifact's id and version; null for a policy not built from an artifact. */
  readonly policyId: string | null;
  readonly version: number | null;
  decide(state: ObservedState): SchedulerDecision;
}

/** Identity of the artifact a policy was built from. */
export interface PolicyIdentity {
  policyId?: string | null;
  version?: number | null;
}
