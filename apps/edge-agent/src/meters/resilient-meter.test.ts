import { rm } from "node:fs/promises";
import { join } from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { createRecordingLogger } from "../log";
import { chooseMeter, detectMeters, listMeters } from "./detect";
import { createFakeSysfs, type FakeSysfs } from "./fake-sysfs.test-helper";
import { createModelMeter } from "./model-meter";
import { createResilientMeter } from "./resilient-meter";

const ZONE = "class/powercap/intel-rapl:0";
let sys: FakeSysfs;

beforeEach(async () => {
  sys = await createFakeSysfs();
  await sys.set(`${ZONE}/name`, "package-0");
  await sys.set(`${ZONE}/energy_uj`, 1_000_000);
  await sys.set(`${ZONE}/max_energy_range_uj`, 262_143_328_850);
});
afterEach(() => sys.remove());

async function rapl() {
  return chooseMeter(await detectMeters({ sysRoot: sys.root }), "rapl");
}

describe("meter choice", () => {
  it("auto picks rapl over model when the counters read; `meters` marks exactly that one active", async () => {
    expect(chooseMeter(await detectMeters({ sysRoot: sys.root }), "auto").source).toBe("rapl");
    const list = await listMeters("raspberry-pi-4", { sysRoot: sys.root });
    expect(list.filter((m) => m.status === "active").map((m) => m.source)).toEqual(["rapl"]);
    expect(list.find((m) => m.source === "model")?.status).toBe("available");
  });

  it("asking for a meter the device lacks is a clear configuration error", async () => {
    const detections = await detectMeters({ sysRoot: sys.root });
    expect(() => chooseMeter(detections, "battery")).toThrow(
      /meter "battery" was asked for but cannot be used/,
    );
    expect(() => chooseMeter(detections, "hwmon")).toThrow(/set meter to "auto"/);
  });
});

describe("resilient meter", () => {
  it("measures with the sensor while it reads, tagging samples with its source", async () => {
    const log = createRecordingLogger();
    const meter = createResilientMeter(await rapl(), createModelMeter("generic-x86"), { log });
    const m = await meter.measure(async () => {
      await sys.set(`${ZONE}/energy_uj`, 1_500_000);
      return 42;
    });
    expect(m).toMatchObject({ ok: true, result: 42, source: "rapl" });
    expect(m.energyJ).toBeCloseTo(0.5, 6);
    expect(meter.health.fallbacks).toBe(0);
  });

  it("METER_UNREADABLE before the work: the work runs once, measured by the model meter and tagged so", async () => {
    const log = createRecordingLogger();
    const meter = createResilientMeter(await rapl(), createModelMeter("generic-x86"), {
      log,
      maxFailures: 2,
    });
    await rm(join(sys.root, ZONE, "energy_uj"));
    let runs = 0;
    const m = await meter.measure(() => ++runs);
    expect(runs).toBe(1);
    expect(m).toMatchObject({ ok: true, result: 1, source: "model" });
    expect(m.energyJ).toBeGreaterThan(0);
    expect(
      log.entries.some((e) => /unreadable/.test(e.msg) && /METER_UNREADABLE/.test(String(e.obj.err))),
    ).toBe(true);
    await meter.measure(() => ++runs);
    expect(meter.health.degraded?.reason).toMatch(/METER_UNREADABLE/);
    // While degraded, the sensor is not tried at all.
    const third = await meter.measure(() => ++runs);
    expect(third.source).toBe("model");
    expect(runs).toBe(3);
    expect(meter.health.fallbacks).toBe(3);
  });

  it("METER_UNREADABLE after the work: its result is kept, and the failed work is still reported", async () => {
    const log = createRecordingLogger();
    const meter = createResilientMeter(await rapl(), createModelMeter("generic-x86"), { log });
    const ok = await meter.measure(async () => {
      await rm(join(sys.root, ZONE, "energy_uj"));
      return "result";
    });
    expect(ok).toMatchObject({ ok: true, result: "result", source: "model" });
    await sys.set(`${ZONE}/energy_uj`, 1_000_000);
    const failed = await meter.measure(async () => {
      await rm(join(sys.root, ZONE, "energy_uj"));
      throw new Error("inference blew up");
    });
    expect(failed.ok).toBe(false);
    expect(failed.source).toBe("model");
    if (!failed.ok) expect(String(failed.error)).toMatch(/inference blew up/);
  });

  it("recovers when the sensor reads again after the retry delay", async () => {
    const log = createRecordingLogger();
    const meter = createResilientMeter(await rapl(), createModelMeter("generic-x86"), {
      log,
      maxFailures: 1,
      retryAfterMs: 1,
    });
    await rm(join(sys.root, ZONE, "energy_uj"));
    expect((await meter.measure(() => 1)).source).toBe("model");
    await sys.set(`${ZONE}/energy_uj`, 2_000_000);
    await new Promise((r) => setTimeout(r, 5));
    expect((await meter.measure(() => 1)).source).toBe("rapl");
    expect(meter.health.degraded).toBeNull();
  });
});
