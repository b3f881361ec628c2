import { mkdir, mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { batteryTrend, DeviceStateReader } from "./device-state";

describe("batteryTrend", () => {
  it("is the least-squares slope in %/h", () => {
    const readings = [0, 1, 2, 3, 4, 5, 6].map((m) => ({ t: m * 60_000, pct: 80 - m * 0.5 }));
    expect(batteryTrend(readings)).toBeCloseTo(-30, 6);
  });

  it("is null with less than a minute of readings", () => {
    expect(batteryTrend([])).toBeNull();
    expect(
      batteryTrend([
        { t: 0, pct: 50 },
        { t: 30_000, pct: 49 },
      ]),
    ).toBeNull();
  });
});

describe("DeviceStateReader", () => {
  let root: string;
  beforeEach(async () => {
    root = await mkdtemp(join(tmpdir(), "ew-dev-"));
  });
  afterEach(() => rm(root, { recursive: true, force: true }));

  it("reads the power supply under its sysfs root and follows it", async () => {
    const bat = join(root, "class/power_supply/BAT0");
    await mkdir(bat, { recursive: true });
    const write = async (status: string, capacity: number) => {
      await writeFile(join(bat, "type"), "Battery\n");
      await writeFile(join(bat, "status"), `${status}\n`);
      await writeFile(join(bat, "capacity"), `${capacity}\n`);
    };
    await write("Discharging", 42);
    const reader = new DeviceStateReader({ sysRoot: root, powerIntervalMs: 60_000 });
    await reader.start();
    try {
      expect(reader.current(3)).toMatchObject({ batteryPct: 42, powerState: "battery", queueDepth: 3 });
      await write("Charging", 43);
      await reader.refreshPower();
      expect(reader.powerState).toBe("mains");
      expect(reader.batteryPct).toBe(43);
      expect(reader.batteryTrendPctPerHour).toBeNull();
    } finally {
      reader.stop();
    }
  });
});
