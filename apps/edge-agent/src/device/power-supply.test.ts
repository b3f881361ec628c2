import { mkdir, mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { readPowerSupply } from "./power-supply";

/** A sysfs-shaped directory tree, laid out as the kernel's power_supply class does. */
async function supply(root: string, name: string, files: Record<string, string>): Promise<void> {
  await mkdir(join(root, name), { recursive: true });
  for (const [f, v] of Object.entries(files)) await writeFile(join(root, name, f), `${v}\n`);
}

describe("readPowerSupply", () => {
  let root: string;
  beforeEach(async () => {
    root = await mkdtemp(join(tmpdir(), "ew-psu-"));
  });
  afterEach(async () => {
    await rm(root, { recursive: true, force: true });
  });

  it("is unknown without a power_supply class", async () => {
    expect(await readPowerSupply(join(root, "missing"))).toEqual({ powerState: "unknown", batteryPct: null });
  });

  it("reads a discharging battery as battery power, with its level", async () => {
    await supply(root, "BAT0", { type: "Battery", present: "1", status: "Discharging", capacity: "73" });
    await supply(root, "AC", { type: "Mains", online: "0" });
    expect(await readPowerSupply(root)).toEqual({ powerState: "battery", batteryPct: 73 });
  });

  it("reads an online mains supply as mains", async () => {
    await supply(root, "BAT0", { type: "Battery", present: "1", status: "Charging", capacity: "40" });
    await supply(root, "AC", { type: "Mains", online: "1" });
    expect(await readPowerSupply(root)).toEqual({ powerState: "mains", batteryPct: 40 });
  });
});
