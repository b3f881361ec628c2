import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { detectMeters, pickBestMeter } from "./detect";
import { createFakeSysfs, type FakeSysfs } from "./fake-sysfs.test-helper";

let sys: FakeSysfs;
beforeEach(async () => {
  sys = await createFakeSysfs();
});
afterEach(() => sys.remove());

describe("detectMeters", () => {
  it("lists rapl > hwmon > battery > nvml > model, with a reason for each unavailable one", async () => {
    const detections = await detectMeters({ sysRoot: sys.root, nvidiaSmi: `${sys.root}/no-nvidia-smi` });
    expect(detections.map((d) => d.source)).toEqual(["rapl", "hwmon", "battery", "nvml", "model"]);
    expect(detections.map((d) => d.available)).toEqual([false, false, false, false, true]);
    for (const d of detections.slice(0, 4)) expect(!d.available && d.reason).toBeTruthy();
    expect(pickBestMeter(detections).source).toBe("model");
  });

  it("picks the most preferred available meter", async () => {
    await sys.set("class/power_supply/BAT0/energy_now", 1000);
    await sys.set("class/hwmon/hwmon0/power1_input", 1_000_000);
    let detections = await detectMeters({ sysRoot: sys.root, nvidiaSmi: `${sys.root}/no-nvidia-smi` });
    expect(detections.map((d) => d.available)).toEqual([false, true, true, false, true]);
    expect(pickBestMeter(detections).source).toBe("hwmon");

    await sys.set("class/powercap/intel-rapl:0/name", "package-0");
    await sys.set("class/powercap/intel-rapl:0/energy_uj", 5);
    await sys.set("class/powercap/intel-rapl:0/max_energy_range_uj", 1000);
    detections = await detectMeters({
      sysRoot: sys.root,
      profile: "raspberry-pi-4",
      nvidiaSmi: `${sys.root}/no-nvidia-smi`,
    });
    expect(detections.filter((d) => d.source !== "nvml").every((d) => d.available)).toBe(true);
    const best = pickBestMeter(detections);
    expect(best.source).toBe("rapl");
    const m = await best.measure(() => 1);
    expect(m.source).toBe("rapl");
  });
});
