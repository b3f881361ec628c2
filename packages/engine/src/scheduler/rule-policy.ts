/**
 * `rule`: thresholds from the energy policy (RuleConfig). Per request, the first rule that applies wins:
 *
 *  1. priority not in degradablePriorities (critical, by default) → the highest-quality variant, with
 *     criticalThreads (or threads) — reason "critical".
 *  2. on battery (powerState "battery" with a known charge) and charge ≤ criticalBatteryPct → the cheapest variant
 *     within the fidelity floor — "battery-critical"; charge ≤ lowBatteryPct → the same — "battery-low".
 *     An unknown power state is not treated as battery.
 *  3. queueDepth > maxQueueDepth → cheapest within the floor — "queue".
 *  4. latencySloMs set and the recent median latency above it → the fastest within the floor (manifest latency when
 *     every candidate has one, else the cost basis below) — "slo".
 *  5. background priority → cheapest within the floor — "background".
 *  6. inside the quiet hours (device local time; a window past midnight wraps) → cheapest within the floor —
 *     "quiet-hours".
 *  7. otherwise, by whenHealthy: the highest-quality variant — "healthy", or the cheapest within the floor —
 *     "healthy-cheapest".
 *
 * Within the floor: ladder entries whose fidelity is ≥ minFidelity, plus the first entry (the baseline) always;
 * an entry of unknown fidelity is not within the floor unless it is the baseline. Quality order: fidelity, highest
 * first, unknown last, ties in ladder order (the baseline's unknown fidelity counts as 1). Cost: this device's
 * observed energy when every candidate has one, else the manifest energy, else manifest latency, else file size
 * (see ladder.ts) — never a mix; ties go to the higher-quality entry. Rules 2–7 use `threads`.
 *
 * The ladder-derived parts are computed once per ladder array, so `decide` does a few comparisons and, for the
 * cheapest choice, one map lookup per candidate.
 */
import { inQuietHours, type RuleConfig } from "@edgewatt/protocol";
import { cheapestOn, costBasis, createLadderView, type LadderView } from "./ladder";
import { capThreads } from "./threads";
import type { ObservedState, PolicyIdentity, SchedulerDecision, SchedulerPolicy } from "./types";

export interface RulePolicyOptions extends PolicyIdentity {
  config: RuleConfig;
  /** Caps the configured thread counts (the device's cores). */
  maxThreads?: number;
}

export class RulePolicy implements SchedulerPolicy {
  readonly mode = "rule" as const;
  readonly policyId: string | null;
  readonly version: number | null;
  readonly config: RuleConfig;
  readonly threads: number;
  readonly criticalThreads: number;
  private readonly degradeCritical: boolean;
  private readonly degradeNormal: boolean;
  private readonly degradeBackground: boolean;
  private view: LadderView | null = null;

  constructor(opts: RulePolicyOptions) {
    this.config = opts.config;
    this.policyId = opts.policyId ?? null;
    this.version = opts.version ?? null;
    const cap = (n: number) => capThreads(n, opts.maxThreads);
    this.threads = cap(opts.config.threads);
    this.criticalThreads = cap(opts.config.criticalThreads ?? opts.config.threads);
    const degradable = opts.config.degradablePriorities;
    this.degradeCritical = degradable.includes("critical");
    this.degradeNormal = degradable.includes("normal");
    this.degradeBackground = degradable.includes("background");
  }

  decide(state: ObservedState): SchedulerDecision {
    const view = this.viewOf(state.ladder);
    const c = this.config;
    const p = state.priority;
    const degradable =
      p === "normal"
        ? this.degradeNormal
        : p === "background"
          ? this.degradeBackground
          : this.degradeCritical;
    if (!degradable) return { variant: view.best.name, threads: this.criticalThreads, reason: "critical" };

    if (state.powerState === "battery" && state.batteryPct !== null) {
      if (state.batteryPct <= c.criticalBatteryPct) return this.cheapest(view, state, "battery-critical");
      if (state.batteryPct <= c.lowBatteryPct) return this.cheapest(view, state, "battery-low");
    }
    if (state.queueDepth > c.maxQueueDepth) return this.cheapest(view, state, "queue");
    if (
      c.latencySloMs !== null &&
      state.recentLatencyMsP50 !== null &&
      state.recentLatencyMsP50 > c.latencySloMs
    ) {
      const fastest = view.latencyKnown
        ? cheapestOn(view, "latency", state.observedEnergyJ)
        : cheapestOn(view, costBasis(view, state.observedEnergyJ), state.observedEnergyJ);
      return { variant: fastest.name, threads: this.threads, reason: "slo" };
    }
    if (p === "background") return this.cheapest(view, state, "background");
    if (
      c.quietHours &&
      typeof state.localMinutes === "number" &&
      inQuietHours(c.quietHours, state.localMinutes)
    ) {
      return this.cheapest(view, state, "quiet-hours");
    }
    if (c.whenHealthy === "cheapest-within-floor") return this.cheapest(view, state, "healthy-cheapest");
    return { variant: view.best.name, threads: this.threads, reason: "healthy" };
  }

  private cheapest(view: LadderView, state: ObservedState, reason: string): SchedulerDecision {
    const entry = cheapestOn(view, costBasis(view, state.observedEnergyJ), state.observedEnergyJ);
    return { variant: entry.name, threads: this.threads, reason };
  }

  private viewOf(ladder: ObservedState["ladder"]): LadderView {
    if (this.view?.ladder !== ladder) this.view = createLadderView(ladder, this.config.minFidelity);
    return this.view;
  }
}
