/**
 * Fleet energy reports over real Postgres: telemetry of two orgs (rapl, model and simulated sources; fp32, int8,
 * int4 and an unlisted variant; periodic samples with a falling battery) goes in through the ingestion query, and
 * the report's figures are checked exactly: energy per inference, measured and modelled savings, p50/p95, SLO
 * violations, accuracy-floor adherence, battery projection, CO2e. Also: tenant isolation, roles (viewers read,
 * only admins change the grid intensity, audited), range errors, and the CSV route handler's output.
 */
import { findAudit, insertTelemetryBatch, newId } from "@edgewatt/db";
import { deviceGroups, devices, energyPolicies, models, modelVariants } from "@edgewatt/db/schema";
import type { EnergySource, TelemetryBatch, TelemetrySample } from "@edgewatt/protocol";
import { TRPCError } from "@trpc/server";
import { afterAll, beforeAll, describe, expect, it, vi } from "vitest";
import type { SessionClaims } from "../src/server/auth/config";
import type { Actor } from "../src/server/services/actor";
import { type FleetReport, getFleetReport } from "../src/server/services/reports/get-fleet-report";
import { createCaller } from "../src/server/trpc/root";
import { addMember, createOrg, type Infra, startInfra } from "./helpers";

// The CSV route reads the session through Auth.js and the database through the server singleton; here the session
// is whatever the test sets and the database is the suite's real one.
const routeDeps = vi.hoisted(() => ({
  claims: undefined as { userId: string; orgId: string; orgName: string; role: string } | undefined,
  db: undefined as unknown,
}));
vi.mock("@/server/auth", () => ({ getSessionClaims: async () => routeDeps.claims }));
vi.mock("@/server/db", () => ({ getDb: () => routeDeps.db }));

const T0 = Date.parse("2025-03-01T10:00:00Z");
const MIN = 60_000;
const RANGE = { from: new Date(T0), to: new Date(T0 + 60 * MIN) };

type SampleSpec = Partial<TelemetrySample> & { at: number; energyJ: number; energySource: EnergySource };

function batch(orgId: string, deviceId: string, boot: string, specs: SampleSpec[], simulated = false) {
  const samples: TelemetrySample[] = specs.map((s, i) => ({
    seq: i,
    ts: T0 + s.at * MIN,
    kind: s.kind ?? "inference",
    energyJ: s.energyJ,
    energySource: s.energySource,
    durationMs: s.durationMs ?? 10,
    modelId: s.modelId ?? null,
    variant: s.variant ?? null,
    threads: null,
    priority: null,
    ok: s.ok ?? true,
    decision: null,
    state: s.state ?? {
      batteryPct: null,
      powerState: "unknown",
      cpuPct: null,
      memBytes: null,
      queueDepth: 0,
    },
  }));
  const b: TelemetryBatch = { orgId, deviceId, boot, simulated, samples };
  return b;
}

function inferences(
  source: EnergySource,
  modelId: string,
  variant: string,
  startMinute: number,
  energies: number[],
  durations: number[],
): SampleSpec[] {
  return energies.map((energyJ, i) => ({
    at: startMinute + i,
    energyJ,
    energySource: source,
    durationMs: durations[i]!,
    modelId,
    variant,
  }));
}

function periodic(
  source: EnergySource,
  at: number,
  minutes: number,
  energyJ: number,
  state: { batteryPct: number | null; powerState: "mains" | "battery" | "unknown" },
): SampleSpec {
  return {
    kind: "periodic",
    at,
    energyJ,
    energySource: source,
    durationMs: minutes * MIN,
    state: { ...state, cpuPct: null, memBytes: null, queueDepth: 0 },
  };
}

function section(report: FleetReport, source: EnergySource) {
  const s = report.bySource.find((x) => x.source === source);
  if (!s) throw new Error(`no ${source} section in the report`);
  return s;
}

describe("fleet energy reports (real Postgres)", () => {
  let infra: Infra;
  let ownerA: Actor;
  let ownerB: Actor;
  let modelId: string;
  const ids = { d1: newId("dev"), d2: newId("dev"), d3: newId("dev"), dB: newId("dev"), g1: "", g2: "" };

  function caller(actor: Actor | null) {
    const claims: SessionClaims | undefined = actor
      ? { userId: actor.userId, orgId: actor.orgId, orgName: "Test", role: actor.role }
      : undefined;
    return createCaller({
      claims,
      db: infra.db,
      nats: async () => {
        throw new Error("reports need no NATS");
      },
      origin: "https://portal.example.test",
    });
  }

  async function trpcError(promise: Promise<unknown>): Promise<TRPCError> {
    const err = await promise.then(
      () => {
        throw new Error("expected the call to fail");
      },
      (e: unknown) => e,
    );
    expect(err).toBeInstanceOf(TRPCError);
    return err as TRPCError;
  }

  beforeAll(async () => {
    infra = await startInfra({ nats: false });
    routeDeps.db = infra.db;
    const db = infra.db;
    ownerA = await createOrg(db, "Reports A");
    ownerB = await createOrg(db, "Reports B");

    const policyId = newId("pol");
    await db.insert(energyPolicies).values({
      id: policyId,
      orgId: ownerA.orgId,
      name: "field",
      mode: "rule",
      config: { latencySloMs: 20, minFidelity: 0.99 },
    });
    ids.g1 = newId("grp");
    ids.g2 = newId("grp");
    await db.insert(deviceGroups).values([
      { id: ids.g1, orgId: ownerA.orgId, name: "field", policyId },
      { id: ids.g2, orgId: ownerA.orgId, name: "lab", policyId: null },
    ]);
    const platform = { os: "linux", arch: "arm64" };
    await db.insert(devices).values([
      { id: ids.d1, orgId: ownerA.orgId, groupId: ids.g1, name: "alpha", platform },
      { id: ids.d2, orgId: ownerA.orgId, groupId: ids.g1, name: "bravo", platform },
      { id: ids.d3, orgId: ownerA.orgId, groupId: ids.g2, name: "charlie", platform },
      { id: ids.dB, orgId: ownerB.orgId, groupId: null, name: "other-org-device", platform },
    ]);

    modelId = newId("mdl");
    const inspection = {
      irVersion: 8,
      opsets: { "": 17 },
      producer: "test",
      inputs: [],
      outputs: [],
      opHistogram: {},
      nodeCount: 1,
      params: 1,
      macs: null,
    };
    await db.insert(models).values({
      id: modelId,
      orgId: ownerA.orgId,
      name: "detector",
      fileName: "detector.onnx",
      objectName: `${ownerA.orgId}/${modelId}/fp32.onnx`,
      sha256: "0".repeat(64),
      sizeBytes: 1000,
      inspection,
    });
    const variant = (
      name: string,
      passes: string[],
      energy: number,
      fidelity: number | null,
      at: number,
    ) => ({
      id: newId("var"),
      orgId: ownerA.orgId,
      modelId,
      name,
      passes,
      status: "ready" as const,
      metrics: {
        energyJPerInference: energy,
        fidelity: fidelity === null ? null : { cosine: fidelity, maxAbsError: 0.01, samples: 16 },
      },
      createdAt: new Date(T0 - (10 - at) * MIN),
    });
    await db
      .insert(modelVariants)
      .values([
        variant("fp32", [], 0.01, null, 0),
        variant("int8", ["quantize-dynamic"], 0.004, 0.995, 1),
        variant("int4", ["quantize-int4"], 0.002, 0.95, 2),
      ]);

    const a = ownerA.orgId;
    // alpha (group "field": SLO 20 ms, floor 0.99), RAPL, on mains: fp32, int8 and a variant the ladder lacks.
    await insertTelemetryBatch(
      db,
      batch(a, ids.d1, "boot-a", [
        ...inferences("rapl", modelId, "fp32", 1, [0.01, 0.012, 0.011, 0.011], [10, 30, 12, 18]),
        ...inferences("rapl", modelId, "int8", 5, [0.004, 0.005, 0.004, 0.005], [5, 25, 6, 7]),
        ...inferences("rapl", modelId, "pruned", 9, [0.008], [9]),
        periodic("rapl", 0, 30, 100, { batteryPct: null, powerState: "mains" }),
        periodic("rapl", 30, 30, 100, { batteryPct: null, powerState: "mains" }),
        // Outside the range: a minute before it, and exactly at its (exclusive) end.
        ...inferences("rapl", modelId, "fp32", -1, [99], [1]),
        ...inferences("rapl", modelId, "fp32", 60, [99], [1]),
      ]),
    );
    // bravo (group "field"), model meter, never ran fp32: modelled baseline. One periodic sample on battery.
    await insertTelemetryBatch(
      db,
      batch(a, ids.d2, "boot-b", [
        ...inferences("model", modelId, "int8", 10, [0.006, 0.006, 0.006], [8, 9, 40]),
        ...inferences("model", modelId, "int4", 13, [0.003], [4]),
        periodic("model", 0, 60, 50, { batteryPct: 90, powerState: "battery" }),
      ]),
    );
    // charlie (group "lab": no policy), simulated, battery falling 1 % every 10 minutes.
    await insertTelemetryBatch(
      db,
      batch(
        a,
        ids.d3,
        "boot-c",
        [
          ...inferences("simulated", modelId, "int8", 20, [0.002, 0.004], [50, 70]),
          ...[80, 79, 78, 77, 76].map((pct, i) =>
            periodic("simulated", i * 10, 10, 36, { batteryPct: pct, powerState: "battery" }),
          ),
        ],
        true,
      ),
    );
    // Org B: one RAPL inference of its own.
    await insertTelemetryBatch(
      db,
      batch(ownerB.orgId, ids.dB, "boot-x", inferences("rapl", "mdl_otherorg", "fp32", 5, [0.5], [3])),
    );
  });

  afterAll(async () => {
    await infra?.stop();
  });

  it("reports each energy source on its own, with a note, simulated labelled", async () => {
    const report = await getFleetReport({ db: infra.db, actor: ownerA, range: RANGE });
    expect(report.hasTelemetry).toBe(true);
    expect(report.range).toMatchObject({ from: RANGE.from, to: RANGE.to, bucket: "minute", bucketMs: MIN });
    expect(report.sources).toEqual(["rapl", "model", "simulated"]);
    expect(report.bySource.map((s) => [s.source, s.simulated])).toEqual([
      ["rapl", false],
      ["model", false],
      ["simulated", true],
    ]);
    expect(section(report, "simulated").label).toMatch(/simulated/);
    expect(report.notes.join("\n")).toMatch(/3 energy sources \(rapl, model, simulated\)/);
    expect(report.notes.join("\n")).toMatch(/simulated come from the fleet simulator/);
    expect(report.methods.savings).toMatch(/measured baseline/);
    expect(report.methods.savings).toMatch(/modelled baseline/);
  });

  it("computes energy per inference, totals, latency percentiles, SLO violations and adherence", async () => {
    const report = await getFleetReport({ db: infra.db, actor: ownerA, range: RANGE });

    const rapl = section(report, "rapl").summary;
    expect(rapl.inferences).toBe(9);
    expect(rapl.inferenceEnergyJ).toBeCloseTo(0.07, 12);
    expect(rapl.energyJPerInference).toBeCloseTo(0.07 / 9, 12);
    expect(rapl.deviceEnergyJ).toBe(200);
    expect(rapl.periodicSamples).toBe(2);
    expect(rapl.latencyP50Ms).toBe(10);
    expect(rapl.latencyP95Ms).toBeCloseTo(28, 9);
    expect(rapl.slo).toEqual({ withSlo: 9, violations: 2, violationShare: 2 / 9, noSlo: 0 });
    expect(rapl.adherence).toEqual({
      withFloor: 9,
      aboveFloor: 8,
      belowFloor: 0,
      unknownFidelity: 1,
      share: 1,
      noFloor: 0,
    });

    const model = section(report, "model").summary;
    expect(model.inferences).toBe(4);
    expect(model.energyJPerInference).toBeCloseTo(0.00525, 12);
    expect(model.deviceEnergyJ).toBe(50);
    expect(model.latencyP50Ms).toBe(8.5);
    expect(model.latencyP95Ms).toBeCloseTo(35.35, 9);
    expect(model.slo).toEqual({ withSlo: 4, violations: 1, violationShare: 0.25, noSlo: 0 });
    expect(model.adherence).toMatchObject({ aboveFloor: 3, belowFloor: 1, unknownFidelity: 0, share: 0.75 });

    const sim = section(report, "simulated").summary;
    expect(sim.inferences).toBe(2);
    expect(sim.energyJPerInference).toBeCloseTo(0.003, 12);
    expect(sim.deviceEnergyJ).toBe(180);
    expect(sim.latencyP50Ms).toBe(60);
    expect(sim.latencyP95Ms).toBeCloseTo(69, 9);
    expect(sim.slo).toEqual({ withSlo: 0, violations: 0, violationShare: null, noSlo: 2 });
    expect(sim.adherence).toMatchObject({ withFloor: 0, share: null, noFloor: 2 });

    // Per variant and per group.
    const raplVariants = section(report, "rapl").variants;
    expect(raplVariants.map((v) => [v.variant, v.inferences, v.fidelity])).toEqual([
      ["fp32", 4, 1],
      ["int8", 4, 0.995],
      ["pruned", 1, null],
    ]);
    const fp32 = raplVariants[0]!;
    expect(fp32.modelName).toBe("detector");
    expect(fp32.energyJPerInference).toBeCloseTo(0.011, 12);
    expect(fp32.latencyP50Ms).toBe(15);
    expect(fp32.slo.violations).toBe(1);
    const int4 = section(report, "model").variants.find((v) => v.variant === "int4")!;
    expect(int4.adherence).toMatchObject({ aboveFloor: 0, belowFloor: 1, share: 0 });
    expect(section(report, "rapl").groups).toEqual([
      expect.objectContaining({
        groupId: ids.g1,
        groupName: "field",
        policyName: "field",
        sloMs: 20,
        minFidelity: 0.99,
        inferences: 9,
      }),
    ]);
    expect(section(report, "simulated").groups).toEqual([
      expect.objectContaining({ groupId: ids.g2, groupName: "lab", policyName: null, sloMs: null }),
    ]);
  });

  it("computes savings against fp32: measured where the device ran fp32, modelled otherwise", async () => {
    const report = await getFleetReport({ db: infra.db, actor: ownerA, range: RANGE });

    const rapl = section(report, "rapl").savings;
    expect(rapl.method).toBe("measured");
    expect(rapl.inferences).toEqual({ measured: 9, modelled: 0, unavailable: 0 });
    expect(rapl.savedJ).toBeCloseTo(0.029, 12);
    expect(rapl.baselineJ).toBeCloseTo(0.099, 12);
    expect(rapl.savedShare).toBeCloseTo(0.029 / 0.099, 12);
    const byVariant = Object.fromEntries(rapl.rows.map((r) => [r.variant, r]));
    expect(byVariant.fp32).toMatchObject({ baselineMethod: "measured", savedJ: 0, deviceName: "alpha" });
    expect(byVariant.int8!.baselineJPerInference).toBeCloseTo(0.011, 12);
    expect(byVariant.int8!.savedJ).toBeCloseTo(0.026, 12);
    expect(byVariant.pruned!.savedJ).toBeCloseTo(0.003, 12);

    const model = section(report, "model").savings;
    expect(model.method).toBe("modelled");
    expect(model.inferences).toEqual({ measured: 0, modelled: 4, unavailable: 0 });
    expect(model.savedJ).toBeCloseTo(0.039, 12);
    const int8 = model.rows.find((r) => r.variant === "int8")!;
    expect(int8.baselineMethod).toBe("modelled");
    expect(int8.baselineJPerInference).toBeCloseTo(0.015, 12);
    expect(int8.savedJ).toBeCloseTo(0.027, 12);
    expect(int8.note).toMatch(/did not run fp32/);
    expect(model.rows.find((r) => r.variant === "int4")!.savedJ).toBeCloseTo(0.012, 12);

    const sim = section(report, "simulated").savings;
    expect(sim.savedJ).toBeCloseTo(0.009, 12);
    expect(report.notes.join("\n")).toMatch(/modelled baseline/);
  });

  it("projects battery life from the battery trend, per device", async () => {
    const report = await getFleetReport({ db: infra.db, actor: ownerA, range: RANGE });
    expect(report.battery.map((b) => [b.deviceName, b.status])).toEqual([
      ["alpha", "on-mains"],
      ["bravo", "not-enough-data"],
      ["charlie", "projected"],
    ]);
    const charlie = report.battery[2]!;
    expect(charlie.simulated).toBe(true);
    expect(charlie.batteryPct).toBe(76);
    expect(charlie.drainPctPerHour).toBeCloseTo(6, 6);
    expect(charlie.hoursToEmpty).toBeCloseTo(76 / 6, 6);
    expect(charlie.fitSamples).toBe(5);
    expect(charlie.lastAt).toEqual(new Date(T0 + 50 * MIN));
    expect(charlie.emptyAt!.getTime()).toBeCloseTo(T0 + 50 * MIN + (76 / 6) * 3_600_000, -3);
    expect(report.battery[1]!.note).toMatch(/1 sample on battery/);
  });

  it("converts energy to CO2e with the default, the org's setting or the request's intensity", async () => {
    const report = await getFleetReport({ db: infra.db, actor: ownerA, range: RANGE });
    expect(report.grid).toEqual({ gPerKwh: 400, origin: "default" });
    const rapl = section(report, "rapl");
    expect(rapl.summary.deviceEnergyKwh).toBeCloseTo(200 / 3.6e6, 15);
    expect(rapl.summary.co2eG).toBeCloseTo((200 / 3.6e6) * 400, 12);
    expect(section(report, "simulated").summary.co2eG).toBeCloseTo(0.02, 12);
    expect(rapl.savings.savedCo2eG).toBeCloseTo((0.029 / 3.6e6) * 400, 15);
    expect(report.methods.co2e).toMatch(/400 g CO2e\/kWh/);

    const custom = await getFleetReport({
      db: infra.db,
      actor: ownerA,
      range: RANGE,
      gridIntensityGPerKwh: 500,
    });
    expect(custom.grid).toEqual({ gPerKwh: 500, origin: "request" });
    expect(section(custom, "rapl").summary.co2eG).toBeCloseTo((200 / 3.6e6) * 500, 12);
  });

  it("buckets the series by variant and source over time", async () => {
    const report = await getFleetReport({ db: infra.db, actor: ownerA, range: RANGE });
    const rapl = section(report, "rapl").series;
    expect(rapl.variants.map((v) => v.label)).toEqual([
      "detector · fp32",
      "detector · int8",
      "detector · pruned",
    ]);
    const fp32Key = rapl.variants[0]!.key;
    const fp32Points = rapl.points.filter((p) => p.key === fp32Key);
    expect(fp32Points.map((p) => [p.bucketStart.getTime(), p.inferences, p.energyJPerInference])).toEqual([
      [T0 + 1 * MIN, 1, 0.01],
      [T0 + 2 * MIN, 1, 0.012],
      [T0 + 3 * MIN, 1, 0.011],
      [T0 + 4 * MIN, 1, 0.011],
    ]);
    const first = rapl.energy[0]!;
    expect(first).toMatchObject({ deviceEnergyJ: 100, periodicSamples: 1, inferences: 0 });
    expect(first.bucketStart).toEqual(new Date(T0));
    expect(first.averageW).toBeCloseTo(100 / 1800, 12);

    // Hour buckets: everything in one bucket per source.
    const hourly = await getFleetReport({ db: infra.db, actor: ownerA, range: RANGE, bucket: "hour" });
    expect(section(hourly, "rapl").series.energy).toEqual([
      expect.objectContaining({ bucketStart: new Date(T0), deviceEnergyJ: 200, inferences: 9 }),
    ]);
  });

  it("filters by device, group and model", async () => {
    const byDevice = await getFleetReport({
      db: infra.db,
      actor: ownerA,
      range: RANGE,
      filter: { deviceId: ids.d2 },
    });
    expect(byDevice.sources).toEqual(["model"]);
    const byGroup = await getFleetReport({
      db: infra.db,
      actor: ownerA,
      range: RANGE,
      filter: { groupId: ids.g2 },
    });
    expect(byGroup.sources).toEqual(["simulated"]);
    expect(byGroup.battery.map((b) => b.deviceName)).toEqual(["charlie"]);
    // A filter naming something that is not the org's is pointed out, not answered with an empty report.
    await expect(
      getFleetReport({ db: infra.db, actor: ownerA, range: RANGE, filter: { modelId: "mdl_unknown" } }),
    ).rejects.toThrow(/Model mdl_unknown does not exist in your organization/);
    // The model filter keeps only samples labelled with that model (periodic samples here name none).
    const byModel = await getFleetReport({ db: infra.db, actor: ownerA, range: RANGE, filter: { modelId } });
    expect(section(byModel, "rapl").summary).toMatchObject({ inferences: 9, deviceEnergyJ: null });
  });

  it("keeps tenants apart: org B sees only its own telemetry", async () => {
    const b = await caller(ownerB).reports.fleet({ range: RANGE });
    expect(b.sources).toEqual(["rapl"]);
    expect(section(b, "rapl").summary).toMatchObject({ inferences: 1, inferenceEnergyJ: 0.5 });
    expect(b.battery).toEqual([]);
    // Org A's device and group ids lead nowhere from org B: not found, as if they did not exist.
    const probe = await trpcError(
      caller(ownerB).reports.fleet({ range: RANGE, filter: { deviceId: ids.d1 } }),
    );
    expect(probe.code).toBe("NOT_FOUND");
    const probeGroup = await trpcError(
      caller(ownerB).reports.fleet({ range: RANGE, filter: { groupId: ids.g1 } }),
    );
    expect(probeGroup.code).toBe("NOT_FOUND");
    const filters = await caller(ownerB).reports.filters();
    expect(filters.devices.map((d) => d.name)).toEqual(["other-org-device"]);
    expect(filters.groups).toEqual([]);
    expect(filters.models).toEqual([]);
    // And org A's report holds none of org B's energy.
    const a = await caller(ownerA).reports.fleet({ range: RANGE });
    expect(section(a, "rapl").summary.inferences).toBe(9);
  });

  it("says when the org has no telemetry at all", async () => {
    const empty = await createOrg(infra.db, "Empty");
    const report = await caller(empty).reports.fleet({ range: RANGE });
    expect(report).toMatchObject({ hasTelemetry: false, sources: [], bySource: [], battery: [] });
  });

  it("lets viewers read reports but only admins change the grid intensity, audited", async () => {
    const viewer = await addMember(infra.db, ownerA.orgId, "viewer");
    const member = await addMember(infra.db, ownerA.orgId, "member");
    const admin = await addMember(infra.db, ownerA.orgId, "admin");

    const seen = await caller(viewer).reports.fleet({ range: RANGE });
    expect(section(seen, "rapl").summary.inferences).toBe(9);
    expect(await caller(viewer).reports.settings()).toMatchObject({
      gridIntensityGPerKwh: null,
      defaultGridIntensityGPerKwh: 400,
      canEdit: false,
    });

    const denied = await trpcError(caller(viewer).reports.updateGridIntensity({ gridIntensityGPerKwh: 250 }));
    expect(denied.code).toBe("FORBIDDEN");
    const memberDenied = await trpcError(
      caller(member).reports.updateGridIntensity({ gridIntensityGPerKwh: 250 }),
    );
    expect(memberDenied.code).toBe("FORBIDDEN");
    expect(memberDenied.message).toMatch(/grid carbon intensity/);

    const bad = await trpcError(caller(admin).reports.updateGridIntensity({ gridIntensityGPerKwh: -5 }));
    expect(bad.code).toBe("BAD_REQUEST");

    const updated = await caller(admin).reports.updateGridIntensity({ gridIntensityGPerKwh: 250 });
    expect(updated).toMatchObject({ gridIntensityGPerKwh: 250, canEdit: true });
    const audit = await findAudit(infra.db, ownerA.orgId, { action: "org.grid_intensity_change" });
    expect(audit).toHaveLength(1);
    expect(audit[0]).toMatchObject({
      actorUserId: admin.userId,
      targetType: "org",
      targetId: ownerA.orgId,
      details: { from: null, to: 250, unit: "gCO2e/kWh" },
    });

    const withOrgSetting = await caller(viewer).reports.fleet({ range: RANGE });
    expect(withOrgSetting.grid).toEqual({ gPerKwh: 250, origin: "org" });
    expect(section(withOrgSetting, "rapl").summary.co2eG).toBeCloseTo((200 / 3.6e6) * 250, 12);
    // Another org keeps the default.
    expect((await caller(ownerB).reports.fleet({ range: RANGE })).grid.origin).toBe("default");

    // Back to the default: null removes the setting.
    await caller(ownerA).reports.updateGridIntensity({ gridIntensityGPerKwh: null });
    expect((await caller(viewer).reports.settings()).gridIntensityGPerKwh).toBeNull();
    expect(await findAudit(infra.db, ownerA.orgId, { action: "org.grid_intensity_change" })).toHaveLength(2);
  });

  it("refuses bad ranges with messages that say what to change", async () => {
    const reversed = await trpcError(
      caller(ownerA).reports.fleet({ range: { from: RANGE.to, to: RANGE.from } }),
    );
    expect(reversed.code).toBe("BAD_REQUEST");
    expect(reversed.message).toMatch(/must start before it ends/);

    const tooLong = await trpcError(
      caller(ownerA).reports.fleet({
        range: { from: new Date(T0 - 400 * 24 * 60 * MIN), to: RANGE.to },
      }),
    );
    expect(tooLong.code).toBe("BAD_REQUEST");
    expect(tooLong.message).toMatch(/401 days long; a report covers at most 366 days/);

    const tooFine = await trpcError(
      caller(ownerA).reports.fleet({
        range: { from: new Date(T0 - 30 * 24 * 60 * MIN), to: RANGE.to },
        bucket: "minute",
      }),
    );
    expect(tooFine.message).toMatch(/coarser bucket/);

    const unauthenticated = await trpcError(caller(null).reports.fleet({ range: RANGE }));
    expect(unauthenticated.code).toBe("UNAUTHORIZED");
  });

  describe("CSV route handler", () => {
    async function get(query: Record<string, string>, actor: Actor | null) {
      routeDeps.claims = actor
        ? { userId: actor.userId, orgId: actor.orgId, orgName: "Test", role: actor.role }
        : undefined;
      const { GET } = await import("../src/app/api/reports/csv/route");
      const url = new URL("https://portal.example.test/api/reports/csv");
      for (const [k, v] of Object.entries(query)) url.searchParams.set(k, v);
      return GET(new Request(url));
    }
    const iso = { from: RANGE.from.toISOString(), to: RANGE.to.toISOString() };

    it("streams the bucketed series with units and sources in the header and on every row", async () => {
      const res = await get({ ...iso, groupId: "" }, ownerA);
      expect(res.status).toBe(200);
      expect(res.headers.get("content-type")).toBe("text/csv; charset=utf-8");
      expect(res.headers.get("content-disposition")).toBe(
        'attachment; filename="edgewatt-report_20250301T1000_20250301T1100.csv"',
      );
      const text = await res.text();
      const lines = text.split("\r\n");
      expect(lines.at(-1)).toBe("");
      const [header, ...rows] = lines.slice(0, -1).map((l) => l.split(","));
      expect(header).toEqual([
        "bucket_start_utc",
        "bucket",
        "energy_source",
        "simulated",
        "series",
        "model_id",
        "model",
        "variant",
        "inferences",
        "energy_J",
        "energy_per_inference_J",
        "average_power_W",
        "energy_kWh",
        "co2e_g_at_400_g_per_kWh",
      ]);
      // rapl: 2 device totals + 9 variant buckets; model: 1 + 4; simulated: 5 + 2.
      expect(rows).toHaveLength(2 + 9 + 1 + 4 + 5 + 2);
      expect(new Set(rows.map((r) => r[2]))).toEqual(new Set(["rapl", "model", "simulated"]));
      expect(rows.filter((r) => r[2] === "simulated").every((r) => r[3] === "true")).toBe(true);
      const fp32 = rows.find((r) => r[0] === "2025-03-01T10:02:00.000Z" && r[7] === "fp32")!;
      expect(fp32.slice(0, 10)).toEqual([
        "2025-03-01T10:02:00.000Z",
        "minute",
        "rapl",
        "false",
        "inferences_by_variant",
        modelId,
        "detector",
        "fp32",
        "1",
        "0.012",
      ]);
      const total = rows.find(
        (r) => r[0] === "2025-03-01T10:00:00.000Z" && r[4] === "device_total" && r[2] === "rapl",
      )!;
      expect(Number(total[9])).toBe(100);
      expect(Number(total[11])).toBeCloseTo(100 / 1800, 12);
      expect(Number(total[13])).toBeCloseTo((100 / 3.6e6) * 400, 15);
      // Nothing of org B.
      expect(text).not.toContain("mdl_otherorg");
    });

    it("applies filters and the grid intensity of the request", async () => {
      const res = await get({ ...iso, deviceId: ids.d2, gridIntensity: "100", bucket: "hour" }, ownerA);
      expect(res.status).toBe(200);
      const lines = (await res.text()).trim().split("\r\n");
      expect(lines[0]).toContain("co2e_g_at_100_g_per_kWh");
      expect(lines.slice(1).map((l) => l.split(",").slice(0, 5).join(","))).toEqual([
        "2025-03-01T10:00:00.000Z,hour,model,false,device_total",
        "2025-03-01T10:00:00.000Z,hour,model,false,inferences_by_variant",
        "2025-03-01T10:00:00.000Z,hour,model,false,inferences_by_variant",
      ]);
    });

    it("answers errors as JSON with the right status", async () => {
      const unauthenticated = await get(iso, null);
      expect(unauthenticated.status).toBe(401);
      const missing = await get({ from: iso.from }, ownerA);
      expect(missing.status).toBe(400);
      expect(((await missing.json()) as { error: { message: string } }).error.message).toMatch(
        /to: to is required/,
      );
      const reversed = await get({ from: iso.to, to: iso.from }, ownerA);
      expect(reversed.status).toBe(400);
      expect(((await reversed.json()) as { error: { message: string } }).error.message).toMatch(
        /must start before it ends/,
      );
      const badGrid = await get({ ...iso, gridIntensity: "lots" }, ownerA);
      expect(badGrid.status).toBe(400);
    });

    it("gives another org only its own rows", async () => {
      const res = await get(iso, ownerB);
      const rows = (await res.text()).trim().split("\r\n").slice(1);
      expect(rows).toHaveLength(1);
      expect(rows[0]).toContain("mdl_otherorg");
    });
  });
});
