import type { DeploymentAssignment, VariantManifest } from "@edgewatt/protocol";
import { describe, expect, it } from "vitest";
import { createPolicy } from "./create-policy";
import { StaticPolicy } from "./static-policy";
import type { ObservedState } from "./types";

const variant = (name: string): VariantManifest => ({
  variantId: `var_${name.replace(/[^a-z0-9]/g, "")}`,
  name,
  bucket: "MODELS",
  objectName: `org_a/mdl_a/${name}.onnx`,
  sha256: "0".repeat(64),
  sizeBytes: 1,
  passes: [],
  inputs: [],
  outputs: [],
  fidelity: null,
});

const state = (ladder: VariantManifest[]): ObservedState => ({
  ladder,
  device: { batteryPct: null, powerState: "unknown", cpuPct: null, memBytes: null, queueDepth: 0 },
  priority: "normal",
  recentLatencyMs: [],
});

describe("StaticPolicy", () => {
  const ladder = [variant("fp32"), variant("int8-dynamic")];

  it("runs the policy's variant with the configured threads", () => {
    expect(new StaticPolicy({ variant: "int8-dynamic", threads: 2 }).decide(state(ladder))).toEqual({
      variant: "int8-dynamic",
      threads: 2,
    });
  });

  it("falls back to the first ladder entry when the variant is absent or unknown", () => {
    expect(new StaticPolicy({ threads: 1 }).decide(state(ladder)).variant).toBe("fp32");
    expect(new StaticPolicy({ variant: "int4", threads: 1 }).decide(state(ladder)).variant).toBe("fp32");
  });

  it("stands in for modes this agent does not run yet, and says so", () => {
    const assignment = { policy: { mode: "learned", variant: "int8-dynamic" } } as DeploymentAssignment;
    const { policy, fallbackReason } = createPolicy(assignment, { threads: 1 });
    expect(policy.mode).toBe("static");
    expect(fallbackReason).toMatch(/learned.*not supported/);
  });
});
