import type { TelemetryBatch, TelemetrySample } from "@edgewatt/protocol";
import type { Db } from "../src/client";
import { createModel, createOrgWithOwner, type Model, type Org } from "../src/index";
import type { ModelInspection } from "../src/schema";

let counter = 0;

export async function makeOrg(db: Db, name = "Acme"): Promise<{ org: Org; userId: string }> {
  counter += 1;
  const { org, user } = await createOrgWithOwner(db, {
    name,
    email: `owner${counter}-${Date.now()}@example.com`,
    passwordHash: "scrypt$test",
    userName: "Owner",
  });
  return { org, userId: user.id };
}

const inspection: ModelInspection = {
  irVersion: 8,
  opsets: { "": 17 },
  producer: "test",
  inputs: [{ name: "x", elemType: "float32", shape: [1, 4] }],
  outputs: [{ name: "y", elemType: "float32", shape: [1, 2] }],
  opHistogram: { Gemm: 1 },
  nodeCount: 1,
  params: 10,
  macs: 8,
};

export async function makeModel(db: Db, orgId: string, name = "classifier"): Promise<Model> {
  return createModel(db, {
    orgId,
    name,
    fileName: `${name}.onnx`,
    objectName: `${orgId}/${name}/fp32.onnx`,
    sha256: "a".repeat(64),
    sizeBytes: 1234,
    inspection,
  });
}

export function sample(seq: number, overrides: Partial<TelemetrySample> = {}): TelemetrySample {
  return {
    seq,
    ts: Date.UTC(2026, 0, 1, 0, 0, seq),
    kind: "inference",
    energyJ: 1,
    energySource: "rapl",
    durationMs: 10,
    modelId: null,
    variant: "fp32",
    threads: 1,
    priority: "normal",
    ok: true,
    decision: null,
    state: { batteryPct: null, powerState: "mains", cpuPct: null, memBytes: null, queueDepth: 0 },
    ...overrides,
  };
}

export function batch(
  orgId: string,
  deviceId: string,
  samples: TelemetrySample[],
  boot = "boot1",
): TelemetryBatch {
  return { orgId, deviceId, boot, simulated: false, samples };
}
