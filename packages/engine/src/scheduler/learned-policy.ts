/**
 * `learned`: a policy trained fleet-wide from telemetry and shipped as an artifact. Format `linear-q-v1`: for the
 * observation x (the artifact's features, computed by `learnedFeatureValue`), each action a (variant × threads) has
 * value weights[a] · [x, 1]; the policy runs the highest-valued action whose variant is on this request's ladder
 * (ties: the earlier action) — reason "learned". When no action's variant is on the ladder it runs the
 * highest-quality variant with the fallback thread count — reason "learned-fallback".
 *
 * Feature definitions live here and only here, so the trainer computes exactly what the agent computes.
 */
import type { LearnedFeature, LinearQConfig } from "@edgewatt/protocol";
import { createLadderView, type LadderView } from "./ladder";
import { capThreads } from "./threads";
import type { ObservedState, PolicyIdentity, SchedulerDecision, SchedulerPolicy } from "./types";

/** The parts of the observed state the features read (what a telemetry transition carries, too). */
export type FeatureState = Pick<
  ObservedState,
  "priority" | "batteryPct" | "batteryTrendPctPerHour" | "powerState" | "queueDepth" | "recentLatencyMsP50"
>;

/** Requests waiting per unit of the queueDepth feature, and its cap. */
const QUEUE_SCALE = 8;
const QUEUE_CAP = 4;
const LATENCY_RATIO_CAP = 4;

/** One feature's value (see LEARNED_FEATURES in @edgewatt/protocol for the definitions). Always finite. */
export function learnedFeatureValue(
  feature: LearnedFeature,
  state: FeatureState,
  latencySloMs: number | null,
): number {
  const onBattery = state.powerState === "battery";
  const frac = state.batteryPct === null ? 1 : clamp(state.batteryPct / 100, 0, 1);
  switch (feature) {
    case "batteryFrac":
      return frac;
    case "onBattery":
      return onBattery ? 1 : 0;
    case "batteryDeficit":
      return onBattery ? 1 - frac : 0;
    case "drainRate":
      return onBattery && state.batteryTrendPctPerHour !== null
        ? clamp(-state.batteryTrendPctPerHour / 100, 0, 1)
        : 0;
    case "queueDepth":
      return clamp(state.queueDepth / QUEUE_SCALE, 0, QUEUE_CAP);
    case "priorityCritical":
      return state.priority === "critical" ? 1 : 0;
    case "priorityNormal":
      return state.priority === "normal" ? 1 : 0;
    case "priorityBackground":
      return state.priority === "background" ? 1 : 0;
    case "latencyRatio":
      return latencySloMs === null || state.recentLatencyMsP50 === null
        ? 0
        : clamp(state.recentLatencyMsP50 / latencySloMs, 0, LATENCY_RATIO_CAP);
  }
}

function clamp(v: number, lo: number, hi: number): number {
  // NaN (a sensor glitch) reads as the low end rather than poisoning every action's value.
  return v > hi ? hi : v >= lo ? v : lo;
}

export interface LearnedPolicyOptions extends PolicyIdentity {
  config: LinearQConfig;
  /** Threads for the fallback (no action's variant on the ladder). */
  threads: number;
  /** Caps every action's threads (the device's cores). */
  maxThreads?: number;
}

export class LearnedPolicy implements SchedulerPolicy {
  readonly mode = "learned" as const;
  readonly policyId: string | null;
  readonly version: number | null;
  readonly config: LinearQConfig;
  private readonly features: readonly LearnedFeature[];
  private readonly x: Float64Array;
  /** Row-major, (features + 1) per action; the last of each row is the bias. */
  private readonly w: Float64Array;
  private readonly actionThreads: Int32Array;
  private readonly fallbackThreads: number;
  private ladder: ObservedState["ladder"] | null = null;
  /** Per action: its ladder entry's name on the current ladder, or null when it is not there. */
  private present: (string | null)[] = [];
  private view: LadderView | null = null;

  constructor(opts: LearnedPolicyOptions) {
    const { config } = opts;
    this.config = config;
    this.policyId = opts.policyId ?? null;
    this.version = opts.version ?? null;
    this.features = config.features;
    const width = config.features.length + 1;
    this.x = new Float64Array(config.features.length);
    this.w = new Float64Array(config.actions.length * width);
    if (config.weights.length !== config.actions.length) {
      throw new RangeError(
        `LearnedPolicy: ${config.weights.length} weight rows for ${config.actions.length} actions (validate the artifact first)`,
      );
    }
    config.weights.forEach((row, a) => {
      if (row.length !== width) {
        throw new RangeError(
          `LearnedPolicy: weights row ${a} has ${row.length} values; expected ${width} (validate the artifact first)`,
        );
      }
      this.w.set(row, a * width);
    });
    this.actionThreads = Int32Array.from(config.actions, (a) => capThreads(a.threads, opts.maxThreads));
    this.fallbackThreads = capThreads(opts.threads, opts.maxThreads);
  }

  /** Every action's value for `state` (for inspection and off-policy evaluation; `decide` does not allocate this). */
  values(state: FeatureState): number[] {
    this.observe(state);
    return this.config.actions.map((_, a) => this.value(a));
  }

  decide(state: ObservedState): SchedulerDecision {
    this.sync(state.ladder);
    this.observe(state);
    let best = -1;
    let bestValue = Number.NEGATIVE_INFINITY;
    for (let a = 0; a < this.present.length; a++) {
      if (this.present[a] === null) continue;
      const v = this.value(a);
      if (best < 0 || v > bestValue) {
        best = a;
        bestValue = v;
      }
    }
    const variant = best >= 0 ? this.present[best] : null;
    if (variant) return { variant, threads: this.actionThreads[best]!, reason: "learned" };
    this.view ??= createLadderView(state.ladder, 1);
    return { variant: this.view.best.name, threads: this.fallbackThreads, reason: "learned-fallback" };
  }

  private observe(state: FeatureState): void {
    const slo = this.config.latencySloMs;
    for (let i = 0; i < this.features.length; i++)
      this.x[i] = learnedFeatureValue(this.features[i]!, state, slo);
  }

  private value(a: number): number {
    const n = this.x.length;
    const base = a * (n + 1);
    let q = this.w[base + n]!;
    for (let i = 0; i < n; i++) q += this.w[base + i]! * this.x[i]!;
    return q;
  }

  private sync(ladder: ObservedState["ladder"]): void {
    if (this.ladder === ladder) return;
    this.ladder = ladder;
    this.view = null;
    const names = new Set(ladder.map((e) => e.name));
    this.present = this.config.actions.map((a) => (names.has(a.variant) ? a.variant : null));
  }
}
