import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { probeBatteryMeter } from "./battery-meter";
import { createFakeSysfs, type FakeSysfs } from "./fake-sysfs.test-helper";

const BAT = "class/power_supply/BAT0";
let sys: FakeSysfs;
beforeEach(async () => {
  sys = await createFakeSysfs();
  await sys.set("class/power_supply/AC/type", "Mains");
  await sys.set("class/power_supply/AC/online", 0);
});
afterEach(() => sys.remove());

async function getMeter() {
  const probe = await probeBatteryMeter({ sysRoot: sys.root });
  if (!probe.available) throw new Error(`expected battery to be available: ${probe.reason}`);
  return probe.meter;
}

describe("battery meter", () => {
  it("prefers energy_now and charges its drop (µWh → J), tagged 'battery'", async () => {
    await sys.set(`${BAT}/type`, "Battery");
    await sys.set(`${BAT}/energy_now`, 40_000_000);
    await sys.set(`${BAT}/charge_now`, 3_000_000);
    await sys.set(`${BAT}/voltage_now`, 12_000_000);
    const meter = await getMeter();
    expect(meter.batteries.map((b) => b.mode)).toEqual(["energy"]);
    const m = await meter.measure(async () => {
      await sys.set(`${BAT}/energy_now`, 39_999_000); // 1000 µWh = 3.6 J
      return "ok";
    });
    expect(m.source).toBe("battery");
    expect(m.ok && m.result).toBe("ok");
    expect(m.energyJ).toBeCloseTo(3.6, 9);
  });

  it("falls back to charge_now × voltage_now", async () => {
    await sys.set(`${BAT}/type`, "Battery");
    await sys.set(`${BAT}/charge_now`, 3_000_000);
    await sys.set(`${BAT}/voltage_now`, 12_000_000);
    const meter = await getMeter();
    expect(meter.batteries.map((b) => b.mode)).toEqual(["charge"]);
    const m = await meter.measure(async () => {
      await sys.set(`${BAT}/charge_now`, 2_999_500); // 500 µAh
      await sys.set(`${BAT}/voltage_now`, 11_000_000); // mean 11.5 V → 5750 µWh
    });
    expect(m.energyJ).toBeCloseTo(5750 * 3.6e-3, 9);
  });

  it("falls back to power_now × wall time", async () => {
    await sys.set(`${BAT}/power_now`, 10_000_000);
    const meter = await getMeter();
    expect(meter.batteries.map((b) => b.mode)).toEqual(["power"]);
    const m = await meter.measure(() => sys.set(`${BAT}/power_now`, 14_000_000));
    expect(m.energyJ).toBeCloseTo(12 * (m.wallMs / 1000), 9);
  });

  it("counts nothing while the battery gains charge", async () => {
    await sys.set(`${BAT}/energy_now`, 1000);
    const meter = await getMeter();
    const m = await meter.measure(() => sys.set(`${BAT}/energy_now`, 2000));
    expect(m.energyJ).toBe(0);
  });

  it("reports capacity and status", async () => {
    await sys.set(`${BAT}/energy_now`, 1000);
    await sys.set(`${BAT}/capacity`, 87);
    await sys.set(`${BAT}/status`, "Discharging");
    const meter = await getMeter();
    expect(await meter.readState()).toEqual([{ name: "BAT0", capacityPercent: 87, status: "Discharging" }]);
    await sys.set(`${BAT}/status`, "Charging");
    expect((await meter.readState())[0]?.status).toBe("Charging");
  });

  it("is unavailable, with the reason, without a system battery", async () => {
    await sys.set("class/power_supply/hidpp_battery_0/type", "Battery");
    await sys.set("class/power_supply/hidpp_battery_0/scope", "Device");
    await sys.set("class/power_supply/hidpp_battery_0/capacity", 50);
    const probe = await probeBatteryMeter({ sysRoot: sys.root });
    expect(!probe.available && probe.reason).toMatch(/no system battery .*AC, hidpp_battery_0/);
  });
});
