import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import { createFakeSysfs, type FakeSysfs } from "./fake-sysfs.test-helper";
import { probeRaplMeter, raplDeltaUj } from "./rapl-meter";

/** Paths whose reads fail with EACCES, as `energy_uj` does for non-root users (the tests run as root). */
const denied = new Set<string>();
vi.mock("node:fs/promises", async (importOriginal) => {
  const actual = await importOriginal<typeof import("node:fs/promises")>();
  return {
    ...actual,
    readFile: (async (path: unknown, ...rest: unknown[]) => {
      if (typeof path === "string" && denied.has(path)) {
        throw Object.assign(new Error(`EACCES: permission denied, open '${path}'`), { code: "EACCES" });
      }
      return (actual.readFile as (...a: unknown[]) => unknown)(path, ...rest);
    }) as typeof actual.readFile,
  };
});

const MAX = 262_143_328_850;
const PKG = "class/powercap/intel-rapl:0";
const PKG1 = "class/powercap/intel-rapl:1";

let sys: FakeSysfs;
beforeEach(async () => {
  sys = await createFakeSysfs();
});
afterEach(async () => {
  denied.clear();
  await sys.remove();
});

async function addZone(zone: string, name: string, energyUj: number, maxUj = MAX) {
  await sys.set(`class/powercap/${zone}/name`, name);
  await sys.set(`class/powercap/${zone}/energy_uj`, energyUj);
  await sys.set(`class/powercap/${zone}/max_energy_range_uj`, maxUj);
}

async function getMeter() {
  const probe = await probeRaplMeter({ sysRoot: sys.root });
  if (!probe.available) throw new Error(`expected rapl to be available: ${probe.reason}`);
  return probe.meter;
}

describe("rapl meter", () => {
  it("charges the counter delta, tagged 'rapl', and returns the work's result", async () => {
    await addZone("intel-rapl:0", "package-0", 1_000_000);
    const meter = await getMeter();
    const m = await meter.measure(async () => {
      await sys.set(`${PKG}/energy_uj`, 3_500_000);
      return "done";
    });
    expect(m.source).toBe("rapl");
    expect(m.ok && m.result).toBe("done");
    expect(m.energyJ).toBeCloseTo(2.5, 9);
  });

  it("handles the counter wrapping past max_energy_range_uj", async () => {
    await addZone("intel-rapl:0", "package-0", MAX - 1_000_000);
    const meter = await getMeter();
    const m = await meter.measure(() => sys.set(`${PKG}/energy_uj`, 2_000_000));
    expect(m.energyJ).toBeCloseTo(3, 9);
    expect(raplDeltaUj(90, 10, 100)).toBe(20);
    expect(raplDeltaUj(10, 90, 100)).toBe(80);
  });

  it("sums package domains and ignores sub-domains and psys", async () => {
    await addZone("intel-rapl:0", "package-0", 100);
    await addZone("intel-rapl:1", "package-1", 200);
    await addZone("intel-rapl:2", "psys", 0);
    await addZone("intel-rapl:0:0", "core", 0);
    const meter = await getMeter();
    expect(meter.domains.map((d) => d.name)).toEqual(["package-0", "package-1"]);
    const m = await meter.measure(async () => {
      await sys.set(`${PKG}/energy_uj`, 1_000_100);
      await sys.set(`${PKG1}/energy_uj`, 2_000_200);
      await sys.set("class/powercap/intel-rapl:2/energy_uj", 50_000_000);
      await sys.set("class/powercap/intel-rapl:0:0/energy_uj", 50_000_000);
    });
    expect(m.energyJ).toBeCloseTo(3, 9);
  });

  it("is unavailable, with the reason, when energy_uj cannot be read", async () => {
    await addZone("intel-rapl:0", "package-0", 100);
    denied.add(`${sys.root}/${PKG}/energy_uj`);
    const probe = await probeRaplMeter({ sysRoot: sys.root });
    expect(probe.available).toBe(false);
    if (!probe.available) {
      expect(probe.source).toBe("rapl");
      expect(probe.reason).toMatch(/energy_uj: permission denied/);
    }
  });

  it("is unavailable when there is no powercap tree or no package domain", async () => {
    const none = await probeRaplMeter({ sysRoot: sys.root });
    expect(!none.available && none.reason).toMatch(/no RAPL zones/);
    await addZone("intel-rapl:0", "psys", 0);
    const noPkg = await probeRaplMeter({ sysRoot: sys.root });
    expect(!noPkg.available && noPkg.reason).toMatch(/no RAPL package domains/);
  });

  it("measures failed work too", async () => {
    await addZone("intel-rapl:0", "package-0", 0);
    const meter = await getMeter();
    const m = await meter.measure(async () => {
      await sys.set(`${PKG}/energy_uj`, 500_000);
      throw new Error("boom");
    });
    expect(m.ok).toBe(false);
    expect(m.energyJ).toBeCloseTo(0.5, 9);
  });
});
