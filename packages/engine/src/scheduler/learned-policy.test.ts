import { LEARNED_FEATURES, type LinearQConfig, ZLinearQConfig } from "@edgewatt/protocol";
import { describe, expect, it } from "vitest";
import { LearnedPolicy, learnedFeatureValue } from "./learned-policy";
import { entry, LADDER, observe } from "./test-helpers";

/**
 * Two features: how empty the battery is (on battery) and the queue. fp32 is worth most on a full battery and a
 * short queue; int8-static gains with both; fp16 × 2 threads sits between.
 */
const config: LinearQConfig = ZLinearQConfig.parse({
  format: "linear-q-v1",
  features: ["batteryDeficit", "queueDepth"],
  actions: [
    { variant: "fp32", threads: 1 },
    { variant: "fp16", threads: 2 },
    { variant: "int8-static", threads: 1 },
  ],
  weights: [
    [-2, -1, 1],
    [-1, -0.5, 0.8],
    [1, 1, 0.2],
  ],
});

function learned(overrides: Partial<LinearQConfig> = {}, threads = 1, maxThreads?: number): LearnedPolicy {
  return new LearnedPolicy({
    config: { ...config, ...overrides },
    threads,
    maxThreads,
    policyId: "pol_1",
    version: 2,
  });
}

describe("LearnedPolicy (linear-q-v1)", () => {
  it("runs the action of highest value w · [x, 1]", () => {
    const policy = learned();
    expect(policy.decide(observe())).toEqual({ variant: "fp32", threads: 1, reason: "learned" });
    const low = observe({ powerState: "battery", batteryPct: 40 });
    // x = [0.6, 0]: fp32 -0.2, fp16 0.2, int8-static 0.8.
    expect(policy.values(low).map((v) => Number(v.toFixed(6)))).toEqual([-0.2, 0.2, 0.8]);
    expect(policy.decide(low)).toEqual({ variant: "int8-static", threads: 1, reason: "learned" });
    // x = [0.25, 0]: fp32 0.5, fp16 0.55, int8-static 0.45 → fp16 with its own threads.
    expect(policy.decide(observe({ powerState: "battery", batteryPct: 75 }))).toMatchObject({
      variant: "fp16",
      threads: 2,
    });
    // x = [0, 1] (8 waiting): fp32 0, fp16 0.3, int8-static 1.2.
    expect(policy.decide(observe({ queueDepth: 8 })).variant).toBe("int8-static");
    expect([policy.mode, policy.policyId, policy.version]).toEqual(["learned", "pol_1", 2]);
  });

  it("breaks ties toward the earlier action", () => {
    const tied = learned({
      weights: [
        [0, 0, 1],
        [0, 0, 2],
        [0, 0, 2],
      ],
    });
    expect(tied.decide(observe()).variant).toBe("fp16");
  });

  it("skips actions whose variant is not on this device's ladder", () => {
    const policy = learned();
    const noInt8 = LADDER.filter((e) => e.name !== "int8-static");
    expect(policy.decide(observe({ ladder: noInt8, powerState: "battery", batteryPct: 40 }))).toEqual({
      variant: "fp16",
      threads: 2,
      reason: "learned",
    });
  });

  it("falls back to the highest-quality variant when no action is on the ladder", () => {
    const ladder = [entry("fp32", 0.97), entry("int8", 0.99)];
    const policy = learned({ actions: [{ variant: "int4", threads: 1 }], weights: [[0, 0, 1]] }, 3);
    expect(policy.decide(observe({ ladder }))).toEqual({
      variant: "int8",
      threads: 3,
      reason: "learned-fallback",
    });
    // Back on a ladder that has the action, it runs it again.
    expect(policy.decide(observe({ ladder: [...ladder, entry("int4", 0.9)] })).reason).toBe("learned");
  });

  it("caps every action's threads at maxThreads", () => {
    const policy = learned({}, 8, 1);
    expect(policy.decide(observe({ powerState: "battery", batteryPct: 75 }))).toMatchObject({
      variant: "fp16",
      threads: 1,
    });
  });

  it("refuses weights whose dimensions disagree with the features and actions", () => {
    expect(() => learned({ weights: [[1, 2, 3]] })).toThrow("1 weight rows for 3 actions");
    expect(() =>
      learned({
        weights: [
          [1, 2],
          [1, 2, 3],
          [1, 2, 3],
        ],
      }),
    ).toThrow("weights row 0 has 2 values; expected 3");
  });
});

describe("learned features", () => {
  const full = {
    priority: "background",
    batteryPct: 25,
    batteryTrendPctPerHour: -50,
    powerState: "battery",
    queueDepth: 12,
    recentLatencyMsP50: 30,
  } as const;

  it("computes every feature of the list", () => {
    const values = Object.fromEntries(LEARNED_FEATURES.map((f) => [f, learnedFeatureValue(f, full, 20)]));
    expect(values).toEqual({
      batteryFrac: 0.25,
      onBattery: 1,
      batteryDeficit: 0.75,
      drainRate: 0.5,
      queueDepth: 1.5,
      priorityCritical: 0,
      priorityNormal: 0,
      priorityBackground: 1,
      latencyRatio: 1.5,
    });
  });

  it("reads no battery as full and unknown figures as 0, caps the open-ended ones, and never returns NaN", () => {
    const mains = { ...full, powerState: "mains", batteryPct: null, batteryTrendPctPerHour: null } as const;
    expect(learnedFeatureValue("batteryFrac", mains, null)).toBe(1);
    expect(learnedFeatureValue("batteryDeficit", mains, null)).toBe(0);
    expect(learnedFeatureValue("drainRate", mains, null)).toBe(0);
    expect(learnedFeatureValue("latencyRatio", full, null)).toBe(0);
    expect(learnedFeatureValue("latencyRatio", { ...full, recentLatencyMsP50: 1e6 }, 20)).toBe(4);
    expect(learnedFeatureValue("queueDepth", { ...full, queueDepth: 1000 }, null)).toBe(4);
    expect(learnedFeatureValue("drainRate", { ...full, batteryTrendPctPerHour: 30 }, null)).toBe(0);
    for (const f of LEARNED_FEATURES) {
      const glitch = {
        ...full,
        batteryPct: Number.NaN,
        recentLatencyMsP50: Number.NaN,
        queueDepth: Number.NaN,
      };
      expect(Number.isFinite(learnedFeatureValue(f, glitch, 20)), f).toBe(true);
    }
  });
});
