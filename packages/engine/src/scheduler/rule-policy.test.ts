import { type RuleConfig, ZRuleConfig } from "@edgewatt/protocol";
import { describe, expect, it } from "vitest";
import { createRng } from "../sim/prng";
import { RulePolicy } from "./rule-policy";
import { entry, LADDER, observe } from "./test-helpers";
import type { ObservedState } from "./types";

function rule(config: Partial<RuleConfig> = {}, maxThreads?: number): RulePolicy {
  return new RulePolicy({ config: ZRuleConfig.parse(config), maxThreads });
}

describe("RulePolicy rules, in order", () => {
  const policy = rule({ threads: 2, criticalThreads: 4, latencySloMs: 5 });

  it.each<[string, Partial<ObservedState>, string, string, number]>([
    [
      "a critical request",
      { priority: "critical", powerState: "battery", batteryPct: 3 },
      "fp32",
      "critical",
      4,
    ],
    [
      "a flat battery",
      { powerState: "battery", batteryPct: 10, queueDepth: 50 },
      "int8-static",
      "battery-critical",
      2,
    ],
    [
      "a low battery",
      { powerState: "battery", batteryPct: 30, queueDepth: 50 },
      "int8-static",
      "battery-low",
      2,
    ],
    ["a long queue", { powerState: "battery", batteryPct: 31, queueDepth: 9 }, "int8-static", "queue", 2],
    ["a missed latency objective", { queueDepth: 8, recentLatencyMsP50: 5.1 }, "int8-dynamic", "slo", 2],
    [
      "a background request",
      { priority: "background", recentLatencyMsP50: 5 },
      "int8-static",
      "background",
      2,
    ],
    ["nothing pressing", { powerState: "battery", batteryPct: 80, queueDepth: 8 }, "fp32", "healthy", 2],
  ])("%s → %s (%s)", (_, overrides, variant, reason, threads) => {
    expect(policy.decide(observe(overrides))).toEqual({ variant, threads, reason });
  });

  it("saves energy inside the quiet hours (wrapping past midnight), not outside them or for critical work", () => {
    const policy = rule({ quietHours: { start: "22:00", end: "06:00" } });
    const at = (hh: number, mm: number, priority: ObservedState["priority"] = "normal") =>
      policy.decide(observe({ priority, localMinutes: hh * 60 + mm }));
    expect(at(23, 30)).toMatchObject({ variant: "int8-static", reason: "quiet-hours" });
    expect(at(5, 59)).toMatchObject({ variant: "int8-static", reason: "quiet-hours" });
    expect(at(6, 0)).toMatchObject({ variant: "fp32", reason: "healthy" });
    expect(at(21, 59)).toMatchObject({ variant: "fp32", reason: "healthy" });
    expect(at(23, 30, "critical")).toMatchObject({ variant: "fp32", reason: "critical" });
    // Unknown local time: never quiet.
    expect(policy.decide(observe({ priority: "normal" }))).toMatchObject({ reason: "healthy" });
    const day = rule({ quietHours: { start: "12:00", end: "13:00" } });
    expect(day.decide(observe({ priority: "normal", localMinutes: 12 * 60 + 30 })).reason).toBe(
      "quiet-hours",
    );
    expect(day.decide(observe({ priority: "normal", localMinutes: 13 * 60 })).reason).toBe("healthy");
  });

  it("reads the battery only when running on it", () => {
    for (const powerState of ["mains", "unknown"] as const) {
      expect(policy.decide(observe({ powerState, batteryPct: 2 })).reason).toBe("healthy");
    }
    expect(policy.decide(observe({ powerState: "battery", batteryPct: null })).reason).toBe("healthy");
  });

  it("ignores the latency objective when it is unset or nothing was measured yet", () => {
    expect(rule().decide(observe({ recentLatencyMsP50: 1e6 })).reason).toBe("healthy");
    expect(policy.decide(observe({ recentLatencyMsP50: null })).reason).toBe("healthy");
  });

  it("runs the cheapest within the floor when healthy, if so configured", () => {
    expect(rule({ whenHealthy: "cheapest-within-floor" }).decide(observe())).toEqual({
      variant: "int8-static",
      threads: 1,
      reason: "healthy-cheapest",
    });
  });

  it("treats priorities outside degradablePriorities as critical, and can degrade critical ones too", () => {
    const onlyBackground = rule({ degradablePriorities: ["background"] });
    expect(onlyBackground.decide(observe({ powerState: "battery", batteryPct: 5 }))).toEqual({
      variant: "fp32",
      threads: 1,
      reason: "critical",
    });
    const everything = rule({ degradablePriorities: ["critical", "normal", "background"] });
    expect(
      everything.decide(observe({ priority: "critical", powerState: "battery", batteryPct: 20 })),
    ).toEqual({
      variant: "int8-static",
      threads: 1,
      reason: "battery-low",
    });
    expect(everything.decide(observe({ priority: "critical" })).reason).toBe("healthy");
  });

  it("uses threads for critical requests when criticalThreads is unset, and caps both at maxThreads", () => {
    expect(rule({ threads: 3 }).decide(observe({ priority: "critical" })).threads).toBe(3);
    const capped = rule({ threads: 8, criticalThreads: 16 }, 4);
    expect([capped.threads, capped.criticalThreads]).toEqual([4, 4]);
    expect(capped.decide(observe({ priority: "critical" })).threads).toBe(4);
  });

  it("moves the floor with minFidelity: a lower floor admits int4, never the unmeasured variant", () => {
    const low = observe({ powerState: "battery", batteryPct: 20 });
    expect(rule({ minFidelity: 0.9 }).decide(low).variant).toBe("int4");
    expect(rule({ minFidelity: 0 }).decide(low).variant).toBe("int4");
    expect(rule({ minFidelity: 0.9995 }).decide(low).variant).toBe("fp32");
    expect(rule({ minFidelity: 0.99 }).decide(low).variant).toBe("int8-dynamic");
  });

  it("picks the highest quality by fidelity, not by ladder position", () => {
    const ladder = [entry("fp32", 0.97), entry("fp16", 0.999), entry("int8", null)];
    expect(rule().decide(observe({ ladder }))).toMatchObject({ variant: "fp16", reason: "healthy" });
    // The baseline always counts as within the floor, even below it.
    const low = observe({ ladder, powerState: "battery", batteryPct: 1 });
    expect(rule({ minFidelity: 0.9999 }).decide(low).variant).toBe("fp32");
  });

  it("re-derives what it caches when the ladder array changes", () => {
    const policy = rule();
    const low = { powerState: "battery" as const, batteryPct: 20 };
    expect(policy.decide(observe(low)).variant).toBe("int8-static");
    const shorter = LADDER.filter((e) => e.name !== "int8-static");
    expect(policy.decide(observe({ ...low, ladder: shorter })).variant).toBe("int8-dynamic");
  });

  it("runs on a one-variant ladder and says why an empty one cannot run", () => {
    const only = [entry("fp32", null)];
    expect(rule().decide(observe({ ladder: only, powerState: "battery", batteryPct: 1 })).variant).toBe(
      "fp32",
    );
    expect(() => rule().decide(observe({ ladder: [] }))).toThrow(/ladder is empty/);
  });
});

describe("RulePolicy cost basis", () => {
  const low = { powerState: "battery" as const, batteryPct: 20 };
  const cheapest = (overrides: Partial<ObservedState>) =>
    rule().decide(observe({ ...low, ...overrides })).variant;

  it("prefers this device's own energy figures when it has one for every candidate", () => {
    const observed = new Map([
      ["fp32", 0.09],
      ["fp16", 0.03],
      ["int8-dynamic", 0.05],
      ["int8-static", 0.04],
    ]);
    expect(cheapest({ observedEnergyJ: observed })).toBe("fp16");
    // Candidates outside the floor need no figure, and their figures do not matter.
    expect(cheapest({ observedEnergyJ: new Map([...observed, ["int4", 0.001]]) })).toBe("fp16");
  });

  it("falls back to the manifest energy when a candidate has not been observed yet", () => {
    expect(cheapest({ observedEnergyJ: new Map([["fp16", 0.0001]]) })).toBe("int8-static");
  });

  it("falls back to latency, then size, when a candidate lacks the energy figure", () => {
    const noEnergy = LADDER.map((e) => (e.name === "fp16" ? { ...e, energyJ: null } : e));
    expect(cheapest({ ladder: noEnergy })).toBe("int8-dynamic");
    const noLatency = noEnergy.map((e) => (e.name === "fp32" ? { ...e, latencyMs: null } : e));
    expect(cheapest({ ladder: noLatency })).toBe("int8-static");
  });

  it("breaks cost ties toward the higher-quality variant", () => {
    const ladder = [
      entry("fp32", null, { sizeBytes: 4000 }),
      entry("a", 0.985),
      entry("b", 0.99),
      entry("c", 0.5, { sizeBytes: 1 }),
    ];
    expect(cheapest({ ladder })).toBe("b");
  });

  it("meets a latency objective on latency, or on the cost basis when latency is not known for every candidate", () => {
    const slo = rule({ latencySloMs: 5 });
    const late = { recentLatencyMsP50: 50 };
    expect(slo.decide(observe(late)).variant).toBe("int8-dynamic");
    const noLatency = LADDER.map((e) => (e.name === "fp16" ? { ...e, latencyMs: null } : e));
    expect(slo.decide(observe({ ...late, ladder: noLatency }))).toMatchObject({
      variant: "int8-static",
      reason: "slo",
    });
  });
});

describe("RulePolicy.decide per request", () => {
  it("stays on the ladder for any state, and is cheap (timing printed, not asserted)", () => {
    const rng = createRng(42);
    const priorities = ["critical", "normal", "background"] as const;
    const powerStates = ["mains", "battery", "unknown"] as const;
    const observed = new Map([
      ["fp32", 0.06],
      ["fp16", 0.04],
    ]);
    const states: ObservedState[] = Array.from({ length: 256 }, () =>
      observe({
        priority: priorities[Math.floor(rng.next() * 3)]!,
        powerState: powerStates[Math.floor(rng.next() * 3)]!,
        batteryPct: rng.next() < 0.1 ? null : rng.next() * 100,
        queueDepth: Math.floor(rng.next() * 16),
        recentLatencyMsP50: rng.next() < 0.1 ? null : rng.next() * 10,
        observedEnergyJ: rng.next() < 0.5 ? observed : new Map(),
      }),
    );
    const policy = rule({ latencySloMs: 6, criticalThreads: 2 });
    const names = new Set(LADDER.map((e) => e.name));
    const first = states.map((s) => policy.decide(s));
    for (const d of first) {
      expect(names.has(d.variant)).toBe(true);
      expect(d.threads === 1 || (d.reason === "critical" && d.threads === 2)).toBe(true);
    }
    expect(new Set(first.map((d) => d.reason))).toEqual(
      new Set(["critical", "battery-critical", "battery-low", "queue", "slo", "background", "healthy"]),
    );

    const calls = 100_000;
    let same = 0;
    const t0 = performance.now();
    for (let i = 0; i < calls; i++) {
      const k = i & 255;
      if (policy.decide(states[k]!).variant === first[k]!.variant) same++;
    }
    const usPerCall = ((performance.now() - t0) * 1000) / calls;
    console.log(`RulePolicy.decide, 6-variant ladder: ${usPerCall.toFixed(3)} µs/call over ${calls} calls`);
    expect(same).toBe(calls);
  });
});
