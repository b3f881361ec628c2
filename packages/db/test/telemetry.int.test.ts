import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { countSamples, findDeviceEnergySummary, findRecentSamples, insertTelemetryBatch } from "../src/index";
import { createTestDatabase, type TestDatabase } from "../src/testing/index";
import { batch, makeOrg, sample } from "./fixtures";

describe("telemetry", () => {
  let t: TestDatabase;
  let orgId: string;
  beforeAll(async () => {
    t = await createTestDatabase();
    orgId = (await makeOrg(t.db)).org.id;
  });
  afterAll(async () => {
    await t?.drop();
  });

  it("stores a batch once: a redelivery inserts nothing", async () => {
    const b = batch(orgId, "dev_a", [sample(0), sample(1), sample(2)]);
    expect(await insertTelemetryBatch(t.db, b)).toEqual({ inserted: 3, duplicates: 0 });
    expect(await insertTelemetryBatch(t.db, b)).toEqual({ inserted: 0, duplicates: 3 });
    expect(await countSamples(t.db, { orgId, deviceId: "dev_a" })).toBe(3);
  });

  it("inserts only the new samples of an overlapping batch", async () => {
    const b = batch(orgId, "dev_a", [sample(2), sample(3), sample(4)]);
    expect(await insertTelemetryBatch(t.db, b)).toEqual({ inserted: 2, duplicates: 1 });
    expect(await countSamples(t.db, { orgId, deviceId: "dev_a" })).toBe(5);
  });

  it("treats the same seq after a reboot as a new sample", async () => {
    const b = batch(orgId, "dev_a", [sample(0)], "boot2");
    expect(await insertTelemetryBatch(t.db, b)).toEqual({ inserted: 1, duplicates: 0 });
  });

  it("is exactly-once when the same batch is delivered concurrently", async () => {
    const b = batch(
      orgId,
      "dev_c",
      Array.from({ length: 1000 }, (_, i) => sample(i)),
    );
    const results = await Promise.all([insertTelemetryBatch(t.db, b), insertTelemetryBatch(t.db, b)]);
    expect(results.reduce((sum, r) => sum + r.inserted, 0)).toBe(1000);
    expect(await countSamples(t.db, { orgId, deviceId: "dev_c" })).toBe(1000);
  });

  it("summarises energy and latency per variant and energy source", async () => {
    const samples = [
      // fp32 on rapl: 4 inferences, 2 J each, latencies 10, 20, 30, 40 ms
      ...[10, 20, 30, 40].map((ms, i) => sample(i, { energyJ: 2, durationMs: ms, variant: "fp32" })),
      // int8 on rapl: 2 inferences, 0.5 J and 1.5 J, one failed
      sample(10, { energyJ: 0.5, durationMs: 5, variant: "int8-dynamic" }),
      sample(11, { energyJ: 1.5, durationMs: 7, variant: "int8-dynamic", ok: false }),
      // int8 measured by the model meter: kept apart from rapl
      sample(12, { energyJ: 0.9, durationMs: 6, variant: "int8-dynamic", energySource: "model" }),
      // periodic samples are not inferences
      sample(20, { kind: "periodic", energyJ: 100, durationMs: 1000, variant: null }),
    ];
    await insertTelemetryBatch(t.db, batch(orgId, "dev_b", samples));

    const summary = await findDeviceEnergySummary(t.db, { orgId, deviceId: "dev_b" });
    expect(summary.map((r) => [r.variant, r.energySource])).toEqual([
      ["fp32", "rapl"],
      ["int8-dynamic", "rapl"],
      ["int8-dynamic", "model"],
    ]);
    const [fp32, int8Rapl, int8Model] = summary;
    expect(fp32).toMatchObject({ inferences: 4, failed: 0, totalJ: 8, meanJPerInference: 2 });
    expect(fp32?.latencyP50Ms).toBeCloseTo(25, 9); // percentile_cont interpolates
    expect(fp32?.latencyP95Ms).toBeCloseTo(38.5, 9);
    expect(fp32?.lastTs).toEqual(new Date(Date.UTC(2026, 0, 1, 0, 0, 3)));
    expect(int8Rapl).toMatchObject({ inferences: 2, failed: 1, totalJ: 2, meanJPerInference: 1 });
    expect(int8Rapl?.latencyP50Ms).toBeCloseTo(6, 9);
    expect(int8Model).toMatchObject({ inferences: 1, totalJ: 0.9, latencyP50Ms: 6, latencyP95Ms: 6 });

    const since = await findDeviceEnergySummary(t.db, {
      orgId,
      deviceId: "dev_b",
      since: new Date(Date.UTC(2026, 0, 1, 0, 0, 2)),
    });
    expect(since.find((r) => r.variant === "fp32")).toMatchObject({ inferences: 2, totalJ: 4 });
  });

  it("keeps other orgs' telemetry out of summaries and counts", async () => {
    const other = (await makeOrg(t.db, "Other")).org.id;
    expect(await findDeviceEnergySummary(t.db, { orgId: other, deviceId: "dev_b" })).toEqual([]);
    expect(await countSamples(t.db, { orgId: other })).toBe(0);
  });

  it("lists recent samples newest first", async () => {
    const recent = await findRecentSamples(t.db, { orgId, deviceId: "dev_b", limit: 3 });
    expect(recent.map((r) => r.seq)).toEqual([20, 12, 11]);
    expect(recent[0]?.ts).toBeInstanceOf(Date);
    expect(recent[0]?.powerState).toBe("mains");
  });
});
