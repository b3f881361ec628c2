import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { createFakeSysfs, type FakeSysfs } from "./fake-sysfs.test-helper";
import { probeHwmonMeter } from "./hwmon-meter";

let sys: FakeSysfs;
beforeEach(async () => {
  sys = await createFakeSysfs();
});
afterEach(() => sys.remove());

async function getMeter() {
  const probe = await probeHwmonMeter({ sysRoot: sys.root });
  if (!probe.available) throw new Error(`expected hwmon to be available: ${probe.reason}`);
  return probe.meter;
}

describe("hwmon meter", () => {
  it("charges the mean of power before and after × wall time, tagged 'hwmon'", async () => {
    await sys.set("class/hwmon/hwmon0/name", "coretemp");
    await sys.set("class/hwmon/hwmon0/temp1_input", 42000);
    await sys.set("class/hwmon/hwmon3/name", "amdgpu");
    await sys.set("class/hwmon/hwmon3/power1_input", 4_000_000); // 4 W
    await sys.set("class/hwmon/hwmon3/power1_label", "PPT");
    const meter = await getMeter();
    expect(meter.rails.map((r) => r.label)).toEqual(["PPT"]);
    expect(meter.description).toMatch(/PPT via hwmon3\/power1_input/);
    const m = await meter.measure(async () => {
      await new Promise((r) => setTimeout(r, 20));
      await sys.set("class/hwmon/hwmon3/power1_input", 8_000_000); // 8 W
      return 7;
    });
    expect(m.source).toBe("hwmon");
    expect(m.ok && m.result).toBe(7);
    expect(m.energyJ).toBeCloseTo(6 * (m.wallMs / 1000), 9);
  });

  it("reads Jetson INA3221 rails in mW and counts only the total input rail", async () => {
    const dev = "class/hwmon/hwmon1";
    await sys.set(`${dev}/name`, "ina3221x");
    await sys.set(`${dev}/rail_name_0`, "VDD_IN");
    await sys.set(`${dev}/in_power0_input`, 3000); // 3 W
    await sys.set(`${dev}/rail_name_1`, "VDD_CPU_GPU_CV");
    await sys.set(`${dev}/in_power1_input`, 1000);
    const meter = await getMeter();
    expect(meter.rails.map((r) => r.label)).toEqual(["VDD_IN"]);
    const m = await meter.measure(() => sys.set(`${dev}/in_power0_input`, 5000));
    expect(m.energyJ).toBeCloseTo(4 * (m.wallMs / 1000), 9);
  });

  it("sums rails when none is the total input", async () => {
    await sys.set("class/hwmon/hwmon2/power1_input", 1_000_000);
    await sys.set("class/hwmon/hwmon2/power2_input", 2_000_000);
    const meter = await getMeter();
    expect(meter.rails).toHaveLength(2);
    const m = await meter.measure(() => undefined);
    expect(m.energyJ).toBeCloseTo(3 * (m.wallMs / 1000), 9);
  });

  it("is unavailable, with the reason, without power sensors", async () => {
    const none = await probeHwmonMeter({ sysRoot: sys.root });
    expect(!none.available && none.reason).toMatch(/no hwmon devices/);
    await sys.set("class/hwmon/hwmon0/temp1_input", 42000);
    const noPower = await probeHwmonMeter({ sysRoot: sys.root });
    expect(!noPower.available && noPower.reason).toMatch(/no power sensors/);
  });
});
