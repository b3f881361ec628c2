import { describe, expect, it } from "vitest";
import { z } from "zod";
import { decode, defineMessage, encode, type MessageDef } from "./codec";
import {
  ZDeploymentAssignment,
  ZHeartbeat,
  ZJobProgress,
  ZJobRequest,
  ZJobResult,
  ZTelemetryBatch,
} from "./messages";

const sha = "a".repeat(64);
const variant = {
  variantId: "var_1",
  name: "int8-dynamic",
  bucket: "MODELS",
  objectName: "org_1/mdl_1/int8-dynamic.onnx",
  sha256: sha,
  sizeBytes: 1234,
  passes: ["quantize-dynamic-int8"],
  inputs: [{ name: "window", elemType: "float32", shape: ["batch", 1, 64] }],
  outputs: [{ name: "reconstruction", elemType: "float32", shape: ["batch", 1, 64] }],
  fidelity: 0.999,
  energyJ: null,
  latencyMs: null,
};
const state = { batteryPct: 80, powerState: "battery" as const, cpuPct: 12, memBytes: 1000, queueDepth: 0 };

const examples = [
  [
    ZJobRequest,
    { jobId: "job_1", orgId: "org_1", kind: "optimize", modelId: "mdl_1", recipe: ["quantize-dynamic-int8"] },
  ],
  [ZJobProgress, { jobId: "job_1", step: "quantize-dynamic-int8", status: "done", fraction: 0.5, ts: 1 }],
  [
    ZJobResult,
    {
      jobId: "job_1",
      status: "succeeded",
      variants: [{ variantId: "var_1", name: "int8-dynamic", sha256: sha, sizeBytes: 10 }],
      failures: [],
    },
  ],
  [
    ZDeploymentAssignment,
    {
      deploymentId: "dep_1",
      orgId: "org_1",
      deviceId: "dev_1",
      modelId: "mdl_1",
      modelName: "nab",
      ladder: [variant],
      policy: { mode: "static", variant: "int8-dynamic" },
      updatedAt: 1700000000000,
    },
  ],
  [
    ZTelemetryBatch,
    {
      orgId: "org_1",
      deviceId: "dev_1",
      boot: "b1",
      simulated: false,
      samples: [
        {
          seq: 0,
          ts: 1700000000000,
          kind: "inference",
          energyJ: 0.01,
          energySource: "model",
          durationMs: 1.5,
          modelId: "mdl_1",
          variant: "int8-dynamic",
          threads: 1,
          priority: "normal",
          ok: true,
          decision: null,
          state,
        },
      ],
    },
  ],
  [
    ZHeartbeat,
    {
      orgId: "org_1",
      deviceId: "dev_1",
      boot: "b1",
      ts: 1,
      uptimeS: 3,
      agentVersion: "0.0.0",
      meter: "model",
      modelId: null,
      variant: null,
      outboxDepth: 0,
      state,
    },
  ],
] as const;

describe("codec round trips", () => {
  for (const [anyDef, value] of examples) {
    const def = anyDef as MessageDef;
    it(`${def.type} survives encode → decode`, () => {
      const decoded = decode(def, encode(def, value as never));
      expect(decoded).toEqual({ ok: true, value, version: def.version });
    });
  }
});

describe("decode of bad input returns a typed error and never throws", () => {
  const cases: [string, Uint8Array | string, string][] = [
    ["not JSON", "{nope", "MALFORMED_JSON"],
    ["invalid UTF-8", new Uint8Array([0xff, 0xfe, 0x00]), "MALFORMED_JSON"],
    ["a JSON array", "[1,2]", "MALFORMED_JSON"],
    ["another message type", JSON.stringify({ type: "job.request", v: 1, data: {} }), "WRONG_MESSAGE_TYPE"],
    ["a future version", JSON.stringify({ type: "telemetry.batch", v: 99, data: {} }), "UNSUPPORTED_VERSION"],
    ["no version", JSON.stringify({ type: "telemetry.batch", data: {} }), "UNSUPPORTED_VERSION"],
    [
      "a schema violation",
      JSON.stringify({ type: "telemetry.batch", v: 1, data: { orgId: "o" } }),
      "SCHEMA_MISMATCH",
    ],
    [
      "duplicate seq numbers",
      JSON.stringify({
        type: "telemetry.batch",
        v: 1,
        data: {
          orgId: "o",
          deviceId: "d",
          boot: "b",
          samples: [0, 0].map((seq) => ({
            seq,
            ts: 1,
            kind: "periodic",
            energyJ: 1,
            energySource: "model",
            durationMs: 1,
          })),
        },
      }),
      "SCHEMA_MISMATCH",
    ],
    [
      "a negative energy",
      JSON.stringify({
        type: "telemetry.batch",
        v: 1,
        data: {
          orgId: "o",
          deviceId: "d",
          boot: "b",
          samples: [{ seq: 0, ts: 1, kind: "periodic", energyJ: -1, energySource: "model", durationMs: 1 }],
        },
      }),
      "SCHEMA_MISMATCH",
    ],
  ];
  for (const [label, input, code] of cases) {
    it(`rejects ${label} with ${code}`, () => {
      const decoded = decode(ZTelemetryBatch, input);
      expect(decoded.ok).toBe(false);
      if (!decoded.ok) {
        expect(decoded.error.code).toBe(code);
        expect(decoded.error.message.length).toBeGreaterThan(10);
      }
    });
  }
});

describe("versioning", () => {
  const V2 = defineMessage({
    type: "demo.thing",
    version: 2,
    schema: z.object({ watts: z.number() }),
    upgrades: { 1: (old) => ({ watts: (old as { milliwatts: number }).milliwatts / 1000 }) },
  });
  it("upgrades an older payload to the current version", () => {
    const decoded = decode(V2, JSON.stringify({ type: "demo.thing", v: 1, data: { milliwatts: 2500 } }));
    expect(decoded).toEqual({ ok: true, value: { watts: 2.5 }, version: 1 });
  });
  it("says so when there is no upgrade path", () => {
    const decoded = decode(V2, JSON.stringify({ type: "demo.thing", v: 0, data: {} }));
    expect(decoded.ok || decoded.error.code).toBe("UNSUPPORTED_VERSION");
  });
});
