import { describe, expect, it } from "vitest";
import { decode, encode } from "./codec";
import { ZDeploymentAssignment, ZVariantManifest } from "./messages";
import {
  inQuietHours,
  LEARNED_FEATURES,
  type PolicyArtifact,
  ZLinearQConfig,
  ZPolicyArtifact,
  ZRuleConfig,
} from "./policy";

const base = {
  policyId: "pol_1",
  version: 3,
  orgId: "org_1",
  name: "field sensors",
  createdAt: 1_700_000_000_000,
};
const learned = {
  format: "linear-q-v1",
  features: ["batteryDeficit", "queueDepth"],
  actions: [
    { variant: "fp32", threads: 2 },
    { variant: "int8-dynamic", threads: 1 },
  ],
  weights: [
    [-1, -0.5, 1],
    [0.5, 0.5, 0.2],
  ],
} as const;

function envelope(data: unknown): string {
  return JSON.stringify({ type: "policy.artifact", v: 1, data });
}

function decodeError(data: unknown): string {
  const decoded = decode(ZPolicyArtifact, envelope(data));
  if (decoded.ok) throw new Error("expected the artifact to be rejected");
  expect(decoded.error.code).toBe("SCHEMA_MISMATCH");
  return decoded.error.message;
}

describe("ZRuleConfig", () => {
  it("fills every field with its default, and each field explains itself", () => {
    expect(ZRuleConfig.parse({})).toEqual({
      minFidelity: 0.98,
      lowBatteryPct: 30,
      criticalBatteryPct: 10,
      latencySloMs: null,
      maxQueueDepth: 8,
      degradablePriorities: ["normal", "background"],
      whenHealthy: "highest-quality",
      threads: 1,
      criticalThreads: null,
      quietHours: null,
    });
    for (const [key, field] of Object.entries(ZRuleConfig.shape)) {
      expect(field.description, key).toMatch(/\w{3,}.*\w{3,}/);
    }
  });

  it("takes quiet hours as a local HH:MM window, wrapping past midnight", () => {
    const q = ZRuleConfig.parse({ quietHours: { start: "22:00", end: "06:30" } }).quietHours;
    expect(q).toEqual({ start: "22:00", end: "06:30" });
    expect(inQuietHours(q!, 23 * 60)).toBe(true);
    expect(inQuietHours(q!, 6 * 60 + 29)).toBe(true);
    expect(inQuietHours(q!, 6 * 60 + 30)).toBe(false);
    const bad = ZRuleConfig.safeParse({ quietHours: { start: "25:00", end: "25:00" } });
    expect(bad.error?.issues.map((i) => `${i.path.join(".")}: ${i.message}`)).toContain(
      "quietHours.start: use a 24-hour time such as 22:00",
    );
  });

  it("rejects out-of-range thresholds field by field", () => {
    const bad = ZRuleConfig.safeParse({
      minFidelity: 1.5,
      lowBatteryPct: -1,
      threads: 65,
      maxQueueDepth: 2.5,
    });
    expect(bad.success).toBe(false);
    expect(bad.error?.issues.map((i) => i.path.join(".")).sort()).toEqual([
      "lowBatteryPct",
      "maxQueueDepth",
      "minFidelity",
      "threads",
    ]);
    expect(ZRuleConfig.safeParse({ degradablePriorities: ["urgent"] }).success).toBe(false);
    expect(ZRuleConfig.safeParse({ latencySloMs: 0 }).success).toBe(false);
  });

  it("checks fields against each other with messages that name both", () => {
    const inverted = ZRuleConfig.safeParse({ lowBatteryPct: 20, criticalBatteryPct: 25 });
    expect(inverted.error?.issues).toMatchObject([
      {
        path: ["criticalBatteryPct"],
        message: "critical battery level (25%) must not be above the low battery level (20%)",
      },
    ]);
    const repeated = ZRuleConfig.safeParse({ degradablePriorities: ["normal", "normal"] });
    expect(repeated.error?.issues).toMatchObject([
      { path: ["degradablePriorities"], message: "each priority may be listed once" },
    ]);
    expect(ZRuleConfig.parse({ lowBatteryPct: 20, criticalBatteryPct: 20 }).criticalBatteryPct).toBe(20);
  });
});

describe("ZLinearQConfig", () => {
  it("accepts a well-formed linear-q-v1 policy and defaults its SLO", () => {
    expect(ZLinearQConfig.parse(learned)).toEqual({ ...learned, latencySloMs: null });
  });

  it("says which dimension disagrees", () => {
    const rows = ZLinearQConfig.safeParse({ ...learned, weights: [[1, 2, 3]] });
    expect(rows.error?.issues.map((i) => i.message)).toEqual([
      "weights has 1 rows but there are 2 actions (one row per action)",
    ]);
    const cols = ZLinearQConfig.safeParse({
      ...learned,
      weights: [
        [1, 2, 3],
        [1, 2],
      ],
    });
    expect(cols.error?.issues).toMatchObject([
      {
        path: ["weights", 1],
        message: "weights row 1 has 2 values; expected 3 (one per feature plus a bias)",
      },
    ]);
  });

  it("rejects unknown or repeated features, repeated actions and non-finite weights", () => {
    expect(ZLinearQConfig.safeParse({ ...learned, features: ["cpuTemp", "queueDepth"] }).success).toBe(false);
    expect(
      ZLinearQConfig.safeParse({ ...learned, features: ["queueDepth", "queueDepth"] }).error?.issues[0]
        ?.message,
    ).toBe("features repeat");
    const twice = ZLinearQConfig.safeParse({ ...learned, actions: [learned.actions[0], learned.actions[0]] });
    expect(twice.error?.issues[0]?.message).toBe("action fp32 × 2 threads is listed twice");
    expect(
      ZLinearQConfig.safeParse({
        ...learned,
        weights: [
          [1, 2, 3],
          [1, 2, Number.NaN],
        ],
      }).success,
    ).toBe(false);
    expect(LEARNED_FEATURES).toContain("latencyRatio");
  });
});

describe("ZPolicyArtifact", () => {
  const artifacts: PolicyArtifact[] = [
    ZPolicyArtifact.schema.parse({
      ...base,
      mode: "static",
      static: { variant: "int8-dynamic", threads: 2 },
    }),
    ZPolicyArtifact.schema.parse({ ...base, mode: "rule", rule: { lowBatteryPct: 40 } }),
    ZPolicyArtifact.schema.parse({ ...base, mode: "learned", learned }),
  ];
  for (const artifact of artifacts) {
    it(`a ${artifact.mode} artifact survives encode → decode`, () => {
      expect(decode(ZPolicyArtifact, encode(ZPolicyArtifact, artifact))).toEqual({
        ok: true,
        value: artifact,
        version: 1,
      });
    });
  }

  it("rejects a mode whose payload is missing, or a payload of another mode", () => {
    expect(decodeError({ ...base, mode: "rule" })).toBe(
      'policy.artifact v1 is invalid: rule: a rule policy needs a "rule" payload',
    );
    expect(decodeError({ ...base, mode: "static", static: { threads: 1 }, learned })).toBe(
      'policy.artifact v1 is invalid: learned: a static policy must not carry a "learned" payload (mode and payload disagree)',
    );
    expect(decodeError({ ...base, mode: "adaptive", rule: {} })).toMatch(
      /^policy\.artifact v1 is invalid: mode: /,
    );
  });

  it("rejects out-of-range thresholds and unknown learned formats with the field's path", () => {
    expect(decodeError({ ...base, mode: "rule", rule: { criticalBatteryPct: 120 } })).toBe(
      "policy.artifact v1 is invalid: rule.criticalBatteryPct: Too big: expected number to be <=100",
    );
    expect(decodeError({ ...base, mode: "rule", rule: { lowBatteryPct: 5 } })).toBe(
      "policy.artifact v1 is invalid: rule.criticalBatteryPct: critical battery level (10%) must not be above the low battery level (5%)",
    );
    expect(decodeError({ ...base, mode: "learned", learned: { ...learned, format: "tree-v9" } })).toBe(
      "policy.artifact v1 is invalid: learned.format: Invalid discriminator value. Expected 'linear-q-v1'",
    );
    expect(decodeError({ ...base, version: 0, mode: "static", static: {} })).toMatch(/version: Too small/);
  });
});

describe("deployment assignment policy", () => {
  const manifest = {
    variantId: "var_1",
    name: "fp32",
    bucket: "MODELS",
    objectName: "org_1/mdl_1/original.onnx",
    sha256: "b".repeat(64),
    sizeBytes: 10,
    passes: [],
    inputs: [],
    outputs: [],
    fidelity: null,
  };
  const assignment = {
    deploymentId: "dep_1",
    orgId: "org_1",
    deviceId: "dev_1",
    modelId: "mdl_1",
    modelName: "nab",
    ladder: [manifest],
    updatedAt: 1,
  };
  const wire = (policy: unknown, ladder: unknown[] = [manifest]) =>
    JSON.stringify({ type: "deploy.assignment", v: 1, data: { ...assignment, ladder, policy } });

  it("still decodes an old assignment: { mode, variant } and manifests without energy or latency", () => {
    const decoded = decode(ZDeploymentAssignment, wire({ mode: "static", variant: "fp32" }));
    expect(decoded.ok && decoded.value.policy).toEqual({ mode: "static", variant: "fp32" });
    expect(decoded.ok && decoded.value.ladder[0]).toMatchObject({ energyJ: null, latencyMs: null });
  });

  it("carries an inline artifact or a POLICY key, and manifests' measured figures", () => {
    const artifact = { ...base, mode: "learned", learned };
    const inline = decode(
      ZDeploymentAssignment,
      wire({ mode: "learned", artifact }, [{ ...manifest, energyJ: 0.012, latencyMs: 3.5 }]),
    );
    expect(inline.ok && inline.value.policy.artifact?.learned?.actions).toHaveLength(2);
    expect(inline.ok && inline.value.ladder[0]).toMatchObject({ energyJ: 0.012, latencyMs: 3.5 });
    const keyed = decode(ZDeploymentAssignment, wire({ mode: "learned", key: "org_1.grp_1" }));
    expect(keyed.ok && keyed.value.policy.key).toBe("org_1.grp_1");
  });

  it("rejects an inline artifact whose mode disagrees, a bad key, and negative figures", () => {
    const mismatch = decode(
      ZDeploymentAssignment,
      wire({ mode: "static", artifact: { ...base, mode: "learned", learned } }),
    );
    expect(mismatch.ok || mismatch.error.message).toBe(
      "deploy.assignment v1 is invalid: policy.artifact.mode: the inline policy artifact's mode must match the assignment's policy mode",
    );
    expect(decode(ZDeploymentAssignment, wire({ mode: "learned", key: "org_1.*" })).ok).toBe(false);
    expect(ZVariantManifest.safeParse({ ...manifest, energyJ: -1 }).success).toBe(false);
  });
});
