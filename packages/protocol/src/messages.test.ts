import { describe, expect, it } from "vitest";
import { ZApiError, ZEnrollmentRequest, ZEnrollmentResponse, ZVariantManifest } from "./messages";

/** The agent-facing HTTP bodies are plain JSON validated by zod: a round trip through JSON keeps them intact. */
function roundTrip<T>(schema: { parse(v: unknown): T }, value: unknown): T {
  return schema.parse(JSON.parse(JSON.stringify(schema.parse(value))));
}

describe("HTTP message schemas", () => {
  it("enrollment request round-trips and applies defaults", () => {
    const req = { token: "ewt_abcdefgh", agentVersion: "0.1.0", platform: { os: "linux", arch: "arm64" } };
    expect(roundTrip(ZEnrollmentRequest, req)).toEqual({ ...req, meters: [] });
  });
  it("enrollment request rejects a short token and an unknown meter", () => {
    expect(
      ZEnrollmentRequest.safeParse({ token: "x", agentVersion: "1", platform: { os: "l", arch: "a" } })
        .success,
    ).toBe(false);
    expect(
      ZEnrollmentRequest.safeParse({
        token: "ewt_abcdefgh",
        agentVersion: "1",
        platform: { os: "l", arch: "a" },
        meters: ["solar"],
      }).success,
    ).toBe(false);
  });
  it("enrollment response round-trips, with and without NATS credentials", () => {
    const res = {
      deviceId: "dev_1",
      orgId: "org_1",
      deviceName: "pi-kitchen",
      groupId: null,
      nats: { servers: ["nats://127.0.0.1:4222"] },
      buckets: { deploy: "DEPLOY", policy: "POLICY", models: "MODELS" },
      assignmentKey: "org_1.dev_1",
      subjects: {
        telemetry: "ew.org_1.dev.dev_1.tele.energy",
        heartbeat: "ew.org_1.dev.dev_1.evt.heartbeat",
        prefix: "ew.org_1.dev.dev_1",
      },
    };
    expect(roundTrip(ZEnrollmentResponse, res)).toEqual(res);
    const withCreds = { ...res, nats: { ...res.nats, credentials: { jwt: "eyJ…", seed: "SUA…" } } };
    expect(roundTrip(ZEnrollmentResponse, withCreds)).toEqual(withCreds);
  });
  it("api errors and variant manifests round-trip", () => {
    const err = { error: { code: "TOKEN_EXPIRED", message: "this enrollment token expired" } };
    expect(roundTrip(ZApiError, err)).toEqual(err);
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
      energyJ: null,
      latencyMs: null,
    };
    expect(roundTrip(ZVariantManifest, manifest)).toEqual(manifest);
    expect(ZVariantManifest.safeParse({ ...manifest, sha256: "XYZ" }).success).toBe(false);
  });
});
