import { decode, type PolicyArtifact, ZDeploymentAssignment, ZPolicyArtifact } from "@edgewatt/protocol";
import { describe, expect, it } from "vitest";
import { createRng } from "../sim/prng";
import { createPolicy } from "./create-policy";
import { LearnedPolicy } from "./learned-policy";
import { RulePolicy } from "./rule-policy";
import { StaticPolicy } from "./static-policy";
import { LADDER, observe } from "./test-helpers";
import type { ObservedState } from "./types";

const opts = { threads: 2, maxThreads: 4 };
const base = { policyId: "pol_7", version: 5, orgId: "org_1", name: "night shift", createdAt: 1 };
const artifact = (data: Record<string, unknown>): PolicyArtifact =>
  ZPolicyArtifact.schema.parse({ ...base, ...data });
const learnedPayload = {
  format: "linear-q-v1",
  features: ["onBattery"],
  actions: [
    { variant: "fp32", threads: 8 },
    { variant: "int8-dynamic", threads: 1 },
  ],
  weights: [
    [-1, 1],
    [1, 0.5],
  ],
};

describe("StaticPolicy", () => {
  it("runs the named variant, or the first one (saying so when the named one is missing)", () => {
    expect(new StaticPolicy({ variant: "int8-dynamic", threads: 2 }).decide(observe())).toEqual({
      variant: "int8-dynamic",
      threads: 2,
      reason: "static",
    });
    expect(new StaticPolicy({ variant: "int3", threads: 1 }).decide(observe())).toEqual({
      variant: "fp32",
      threads: 1,
      reason: "static-fallback",
    });
    expect(new StaticPolicy({ threads: 1 }).decide(observe()).reason).toBe("static");
    expect(() => new StaticPolicy({ threads: 1 }).decide(observe({ ladder: [] }))).toThrow(/ladder is empty/);
  });
});

describe("createPolicy from an old-style assignment policy", () => {
  it("static: the variant with the agent's threads, no artifact identity", () => {
    const { policy, fallbackReason } = createPolicy({ mode: "static", variant: "fp16" }, opts);
    expect(policy).toBeInstanceOf(StaticPolicy);
    expect([policy.mode, policy.policyId, policy.version, fallbackReason]).toEqual([
      "static",
      null,
      null,
      undefined,
    ]);
    expect(policy.decide(observe())).toEqual({ variant: "fp16", threads: 2, reason: "static" });
  });

  it("rule: default thresholds with the agent's threads", () => {
    const { policy, fallbackReason } = createPolicy({ mode: "rule" }, { threads: 8, maxThreads: 4 });
    expect(policy).toBeInstanceOf(RulePolicy);
    expect(fallbackReason).toBeUndefined();
    expect(policy.decide(observe({ powerState: "battery", batteryPct: 20 }))).toEqual({
      variant: "int8-static",
      threads: 4,
      reason: "battery-low",
    });
    // An agent configured beyond what a rule policy allows still gets one (at the policy's maximum).
    expect(
      createPolicy({ mode: "rule" }, { threads: 128, maxThreads: 128 }).policy.decide(observe()).threads,
    ).toBe(64);
  });

  it("learned without an artifact, or an unknown mode: static on the first variant, and says why", () => {
    const learned = createPolicy({ mode: "learned", variant: "fp16" }, opts);
    expect(learned.policy.decide(observe())).toEqual({ variant: "fp32", threads: 2, reason: "static" });
    expect(learned.fallbackReason).toBe(
      "a learned policy needs a policy artifact (inline or under a POLICY key) and none was given; " +
        "running the first ladder variant statically instead",
    );
    const unknown = createPolicy({ mode: "adaptive" } as never, opts);
    expect(unknown.policy.mode).toBe("static");
    expect(unknown.fallbackReason).toBe(
      'unknown policy mode "adaptive" (expected one of static, rule, learned); running the first ladder variant statically instead',
    );
  });

  it("works on what an old DEPLOY assignment decodes to", () => {
    const wire = JSON.stringify({
      type: "deploy.assignment",
      v: 1,
      data: {
        deploymentId: "dep_1",
        orgId: "org_1",
        deviceId: "dev_1",
        modelId: "mdl_1",
        modelName: "nab",
        ladder: [
          {
            variantId: "var_1",
            name: "int8-dynamic",
            bucket: "MODELS",
            objectName: "org_1/mdl_1/int8-dynamic.onnx",
            sha256: "a".repeat(64),
            sizeBytes: 10,
            passes: [],
            inputs: [],
            outputs: [],
          },
        ],
        policy: { mode: "static", variant: "int8-dynamic" },
        updatedAt: 1,
      },
    });
    const decoded = decode(ZDeploymentAssignment, wire);
    if (!decoded.ok) throw decoded.error;
    const { policy } = createPolicy(decoded.value.policy.artifact ?? decoded.value.policy, opts);
    const ladder = decoded.value.ladder.map((v) => ({ ...v }));
    expect(policy.decide(observe({ ladder })).variant).toBe("int8-dynamic");
  });
});

describe("createPolicy from an artifact", () => {
  it("builds each mode with the artifact's id and version, capping threads", () => {
    const s = createPolicy(artifact({ mode: "static", static: { variant: "fp16", threads: 16 } }), opts);
    expect(s.policy).toBeInstanceOf(StaticPolicy);
    expect(s.policy.decide(observe())).toEqual({ variant: "fp16", threads: 4, reason: "static" });

    const r = createPolicy(
      artifact({ mode: "rule", rule: { whenHealthy: "cheapest-within-floor", threads: 3 } }),
      opts,
    );
    expect(r.policy).toBeInstanceOf(RulePolicy);
    expect(r.policy.decide(observe())).toEqual({
      variant: "int8-static",
      threads: 3,
      reason: "healthy-cheapest",
    });

    const l = createPolicy(artifact({ mode: "learned", learned: learnedPayload }), opts);
    expect(l.policy).toBeInstanceOf(LearnedPolicy);
    expect(l.policy.decide(observe())).toEqual({ variant: "fp32", threads: 4, reason: "learned" });
    expect(l.policy.decide(observe({ powerState: "battery", batteryPct: 90 })).variant).toBe("int8-dynamic");

    for (const { policy, fallbackReason } of [s, r, l]) {
      expect([policy.policyId, policy.version, fallbackReason]).toEqual(["pol_7", 5, undefined]);
    }
  });

  it("falls back to static on an invalid artifact and says what was wrong", () => {
    const mismatch = createPolicy({ ...base, mode: "rule", learned: learnedPayload } as never, opts);
    expect(mismatch.policy.mode).toBe("static");
    expect(mismatch.policy.policyId).toBeNull();
    expect(mismatch.fallbackReason).toBe(
      'policy pol_7 is invalid (rule: a rule policy needs a "rule" payload; learned: a rule policy must not carry a ' +
        '"learned" payload (mode and payload disagree)); running the first ladder variant statically instead',
    );
    const dims = createPolicy(
      { ...base, mode: "learned", learned: { ...learnedPayload, weights: [[1, 2]] } } as never,
      opts,
    );
    expect(dims.fallbackReason).toMatch(
      /^policy pol_7 is invalid \(learned\.weights: weights has 1 rows but there are 2 actions .*\); running the first/,
    );
    const range = createPolicy({ ...base, mode: "rule", rule: { minFidelity: 2 } } as never, opts);
    expect(range.fallbackReason).toMatch(/rule\.minFidelity: Too big: expected number to be <=1/);
    expect(range.policy.decide(observe())).toEqual({ variant: "fp32", threads: 2, reason: "static" });
  });
});

describe("every policy, any state", () => {
  it("decides a variant on the ladder with threads within 1..maxThreads, never throwing", () => {
    const policies = [
      createPolicy({ mode: "static", variant: "int4" }, opts).policy,
      createPolicy({ mode: "rule" }, opts).policy,
      createPolicy(
        artifact({ mode: "rule", rule: { latencySloMs: 4, degradablePriorities: ["background"] } }),
        opts,
      ).policy,
      createPolicy(artifact({ mode: "learned", learned: learnedPayload }), opts).policy,
    ];
    const rng = createRng(7);
    const names = LADDER.map((e) => e.name);
    const pick = <T>(xs: readonly T[]): T => xs[Math.floor(rng.next() * xs.length)]!;
    for (let i = 0; i < 2000; i++) {
      const ladder = LADDER.filter(() => rng.next() < 0.7);
      if (ladder.length === 0) continue;
      const state: ObservedState = observe({
        ladder,
        priority: pick(["critical", "normal", "background"] as const),
        powerState: pick(["mains", "battery", "unknown"] as const),
        batteryPct: pick([null, 0, 5, 10, 29.9, 30, 55, 100, Number.NaN]),
        batteryTrendPctPerHour: pick([null, -300, -10, 0, 20]),
        queueDepth: pick([0, 1, 8, 9, 500]),
        recentLatencyMsP50: pick([null, 0, 3, 4, 4.01, 1e9]),
        observedEnergyJ: new Map(names.filter(() => rng.next() < 0.5).map((n) => [n, rng.next()])),
      });
      const on = new Set(ladder.map((e) => e.name));
      for (const policy of policies) {
        const d = policy.decide(state);
        expect(on.has(d.variant), `${policy.mode} chose ${d.variant}`).toBe(true);
        expect(d.threads >= 1 && d.threads <= opts.maxThreads).toBe(true);
        expect(d.reason).toMatch(/^[a-z-]+$/);
      }
    }
  });
});
