/**
 * The canary guard against real Postgres and nats-server: canary figures from the telemetry since the rollout
 * began, compared with its baseline; an error-rate or energy regression rolls the canary back (each device's
 * previous KV DEPLOY value restored, deployments marked), a healthy or still-small canary is left alone, and
 * energy is never compared across sources.
 */
import {
  createDeployment,
  createDevice,
  createDeviceGroup,
  createModel,
  createRollout,
  findDeploymentsByOrg,
  getRollout,
  insertTelemetryBatch,
  type Rollout,
} from "@edgewatt/db";
import type { RolloutFigures } from "@edgewatt/db/schema";
import {
  type DeploymentAssignment,
  decode,
  type EnergySource,
  encode,
  KV_BUCKETS,
  kvKeys,
  ZDeploymentAssignment,
} from "@edgewatt/protocol";
import { Kvm } from "@nats-io/kv";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { evaluateRollout } from "../src/rollouts/evaluate-rollouts";
import { type Harness, seedOrg, startHarness } from "./support";

describe("rollout canary guard", () => {
  let h: Harness;
  let orgId: string;
  let modelId: string;
  let seq = 0;

  beforeAll(async () => {
    h = await startHarness();
    orgId = await seedOrg(h.db);
    const model = await createModel(h.db, {
      orgId,
      name: "m",
      fileName: "m.onnx",
      objectName: `${orgId}/m/original.onnx`,
      sha256: "a".repeat(64),
      sizeBytes: 10,
      inspection: {
        irVersion: 8,
        opsets: { "": 17 },
        producer: "t",
        inputs: [],
        outputs: [],
        opHistogram: {},
        nodeCount: 0,
        params: 0,
        macs: 0,
      },
    });
    modelId = model.id;
  });
  afterAll(async () => {
    await h?.close();
  });

  const baseline = (energyJPerInference: number, source: EnergySource = "rapl"): RolloutFigures => ({
    samples: 100,
    errorRate: 0.01,
    energyJPerInference,
    source,
    from: new Date(Date.now() - 86_400_000).toISOString(),
    to: new Date().toISOString(),
  });

  /** A rollout whose single canary device had a previous deployment (in KV and in the table). */
  async function canaryRollout(
    base: RolloutFigures | null,
  ): Promise<{ rollout: Rollout; deviceId: string; previousId: string }> {
    // One group per rollout: a group has at most one rollout in canary.
    const groupId = (await createDeviceGroup(h.db, { orgId, name: `g${seq++}` })).id;
    const device = await createDevice(h.db, {
      orgId,
      groupId,
      name: `d${seq++}`,
      platform: { os: "linux", arch: "x64" },
      meters: ["rapl"],
      agentVersion: null,
      enrollmentTokenId: null,
    });
    const previous = await createDeployment(h.db, {
      orgId,
      modelId,
      deviceId: device.id,
      variantName: "fp32",
    });
    const previousAssignment: DeploymentAssignment = {
      deploymentId: previous.id,
      orgId,
      deviceId: device.id,
      modelId,
      modelName: "m",
      ladder: [
        {
          variantId: "var_fp32",
          name: "fp32",
          bucket: "MODELS",
          objectName: `${orgId}/m/original.onnx`,
          sha256: "a".repeat(64),
          sizeBytes: 10,
          passes: [],
          inputs: [],
          outputs: [],
          fidelity: null,
          energyJ: null,
          latencyMs: null,
        },
      ],
      policy: { mode: "static", variant: "fp32" },
      updatedAt: Date.now(),
    };
    const previousBytes = encode(ZDeploymentAssignment, previousAssignment);
    const current = await createDeployment(h.db, {
      orgId,
      modelId,
      deviceId: device.id,
      variantName: "int8",
    });
    const kv = await new Kvm(h.nc).open(KV_BUCKETS.deploy);
    await kv.put(
      kvKeys.deviceAssignment(orgId, device.id),
      encode(ZDeploymentAssignment, { ...previousAssignment, deploymentId: current.id }),
    );
    const rollout = await createRollout(h.db, {
      orgId,
      modelId,
      groupId,
      variantName: "int8",
      canaryPct: 10,
      minCanarySamples: 20,
      canaryDeviceIds: [device.id],
      previousAssignments: { [device.id]: Buffer.from(previousBytes).toString("base64") },
      deploymentIds: { [device.id]: current.id },
      baseline: base,
      createdAt: new Date(Date.now() - 60_000),
    });
    return { rollout, deviceId: device.id, previousId: previous.id };
  }

  async function telemetry(
    deviceId: string,
    n: number,
    opts: { energyJ: number; failed: number; source?: EnergySource },
  ) {
    await insertTelemetryBatch(h.db, {
      orgId,
      deviceId,
      boot: `b${seq++}`,
      simulated: false,
      samples: Array.from({ length: n }, (_, i) => ({
        seq: i,
        ts: Date.now() - 30_000 + i,
        kind: "inference" as const,
        energyJ: opts.energyJ,
        energySource: opts.source ?? ("rapl" as const),
        durationMs: 1,
        modelId,
        variant: "int8",
        threads: 1,
        priority: "normal" as const,
        ok: i >= opts.failed,
        decision: null,
        state: { batteryPct: null, powerState: "mains" as const, cpuPct: 1, memBytes: 1, queueDepth: 0 },
      })),
    });
  }

  const kvDeploymentId = async (deviceId: string) => {
    const kv = await new Kvm(h.nc).open(KV_BUCKETS.deploy);
    const e = await kv.get(kvKeys.deviceAssignment(orgId, deviceId));
    const d = e ? decode(ZDeploymentAssignment, e.value) : null;
    return d?.ok ? d.value.deploymentId : null;
  };

  it("waits for enough canary inferences before judging", async () => {
    const { rollout, deviceId } = await canaryRollout(baseline(0.01));
    await telemetry(deviceId, 5, { energyJ: 0.05, failed: 5 });
    expect(await evaluateRollout({ db: h.db, nc: h.nc, rollout, now: new Date() })).toBe("waiting");
    const row = await getRollout(h.db, orgId, rollout.id);
    expect(row.status).toBe("canary");
    expect(row.lastEvaluation?.reasons).toEqual(["5 of 20 canary inferences so far"]);
  });

  it("rolls back a canary whose error rate passes the limit: previous assignment and deployment restored", async () => {
    const { rollout, deviceId, previousId } = await canaryRollout(baseline(0.01));
    await telemetry(deviceId, 40, { energyJ: 0.01, failed: 8 });
    expect(await evaluateRollout({ db: h.db, nc: h.nc, rollout, now: new Date() })).toBe("rolled_back");
    const row = await getRollout(h.db, orgId, rollout.id);
    expect(row.status).toBe("rolled_back");
    expect(row.reason).toMatch(/^automatic rollback: error rate 20\.0 % is above the 5\.0 % limit/);
    expect(await kvDeploymentId(deviceId)).toBe(previousId);
    const deployments = await findDeploymentsByOrg(h.db, orgId);
    expect(deployments.find((d) => d.id === previousId)?.status).toBe("active");
    expect(deployments.find((d) => d.id === rollout.deploymentIds[deviceId])?.status).toBe("rolled_back");
  });

  it("rolls back on an energy regression in the same source, and only judges errors across sources", async () => {
    const worse = await canaryRollout(baseline(0.01));
    await telemetry(worse.deviceId, 30, { energyJ: 0.015, failed: 0 });
    expect(await evaluateRollout({ db: h.db, nc: h.nc, rollout: worse.rollout, now: new Date() })).toBe(
      "rolled_back",
    );
    expect((await getRollout(h.db, orgId, worse.rollout.id)).reason).toMatch(
      /energy per inference 50\.0 % above the baseline \(rapl\), over the 20 % limit/,
    );

    const otherSource = await canaryRollout(baseline(0.01, "model"));
    await telemetry(otherSource.deviceId, 30, { energyJ: 0.05, failed: 0 });
    expect(await evaluateRollout({ db: h.db, nc: h.nc, rollout: otherSource.rollout, now: new Date() })).toBe(
      "healthy",
    );
    const row = await getRollout(h.db, orgId, otherSource.rollout.id);
    expect(row.status).toBe("canary");
    expect(row.lastEvaluation?.reasons).toEqual([
      "energy not compared: the baseline was measured with model, the canary with rapl",
    ]);
  });

  it("leaves a healthy canary in place, recording its figures", async () => {
    const { rollout, deviceId } = await canaryRollout(baseline(0.01));
    await telemetry(deviceId, 30, { energyJ: 0.008, failed: 0 });
    expect(await evaluateRollout({ db: h.db, nc: h.nc, rollout, now: new Date() })).toBe("healthy");
    const row = await getRollout(h.db, orgId, rollout.id);
    expect(row.lastEvaluation).toMatchObject({
      verdict: "healthy",
      canary: { samples: 30, errorRate: 0, energyJPerInference: expect.closeTo(0.008, 12), source: "rapl" },
      reasons: ["energy per inference -20.0 % vs the baseline (rapl)"],
    });
  });
});
