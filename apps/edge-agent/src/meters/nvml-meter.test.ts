import { chmod, mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { listMeters } from "./detect";
import { parseWatts, probeNvmlMeter } from "./nvml-meter";

let dir: string;
beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), "ew-nvml-"));
});
afterEach(() => rm(dir, { recursive: true, force: true }));

/**
 * A stand-in for nvidia-smi with the same command line and output format: the one-shot query prints
 * "name, watts" per GPU; the `-lms` stream prints each GPU's power per tick from a known sequence, then idles.
 */
async function fakeNvidiaSmi(gpus: Array<{ name: string; watts: string[] }>): Promise<string> {
  const path = join(dir, "nvidia-smi");
  const script = `#!/usr/bin/env node
const gpus = ${JSON.stringify(gpus)};
const args = process.argv.slice(2);
if (!args.some((a) => a.startsWith("-lms"))) {
  for (const g of gpus) console.log(g.name + ", " + g.watts[0]);
  process.exit(0);
}
let tick = 0;
const timer = setInterval(() => {
  for (const g of gpus) console.log(g.watts[Math.min(tick, g.watts.length - 1)]);
  tick++;
}, 20);
process.on("SIGTERM", () => { clearInterval(timer); process.exit(0); });
`;
  await writeFile(path, script);
  await chmod(path, 0o755);
  return path;
}

async function until(check: () => boolean): Promise<void> {
  const end = Date.now() + 5000;
  while (!check()) {
    if (Date.now() > end) throw new Error("timed out");
    await new Promise((r) => setTimeout(r, 10));
  }
}

describe("nvml meter (nvidia-smi)", () => {
  it("parses power values and refuses [N/A]", () => {
    expect(parseWatts(" 12.34 ")).toBe(12.34);
    expect(parseWatts("[N/A]")).toBeNull();
    expect(parseWatts("")).toBeNull();
  });

  it("sums the GPUs' power from the stream and charges mean power × wall time", async () => {
    const bin = await fakeNvidiaSmi([
      { name: "Orin (nvgpu)", watts: ["5.00", "7.00"] },
      { name: "Tesla T4", watts: ["10.00", "13.00"] },
    ]);
    const probe = await probeNvmlMeter({ nvidiaSmi: bin, periodMs: 20 });
    if (!probe.available) throw new Error(probe.reason);
    const meter = probe.meter;
    try {
      await until(() => meter.watts === 20);
      const m = await meter.measure(async () => {
        await new Promise((r) => setTimeout(r, 50));
        return "ok";
      });
      expect(m).toMatchObject({ ok: true, result: "ok", source: "nvml" });
      expect(m.energyJ).toBeCloseTo(20 * (m.wallMs / 1000), 6);
      expect(meter.gpus).toEqual(["Orin (nvgpu)", "Tesla T4"]);
    } finally {
      meter.close();
    }
  });

  it("is unavailable, with the reason, without nvidia-smi or without power readings", async () => {
    const missing = await probeNvmlMeter({ nvidiaSmi: join(dir, "absent") });
    expect(missing).toMatchObject({ available: false, reason: expect.stringMatching(/not found/) });
    const na = await probeNvmlMeter({
      nvidiaSmi: await fakeNvidiaSmi([{ name: "GT 710", watts: ["[N/A]"] }]),
    });
    expect(na).toMatchObject({
      available: false,
      reason: expect.stringMatching(/GT 710 does not report power/),
    });
  });

  it("is listed by `meters` after battery and before model", async () => {
    const bin = await fakeNvidiaSmi([{ name: "Tesla T4", watts: ["10"] }]);
    const list = await listMeters("generic-x86", { sysRoot: dir, nvidiaSmi: bin });
    expect(list.map((m) => m.source)).toEqual(["rapl", "hwmon", "battery", "nvml", "model"]);
    expect(list.find((m) => m.source === "nvml")?.status).toBe("active");
  });
});
