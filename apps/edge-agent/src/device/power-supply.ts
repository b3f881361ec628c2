/** Power source and battery level from Linux sysfs (/sys/class/power_supply), when the machine exposes them. */
import { readdir, readFile } from "node:fs/promises";
import { join } from "node:path";
import type { PowerState } from "@edgewatt/protocol";

export interface PowerReading {
  powerState: PowerState;
  batteryPct: number | null;
}

const UNKNOWN: PowerReading = { powerState: "unknown", batteryPct: null };

export async function readPowerSupply(dir = "/sys/class/power_supply"): Promise<PowerReading> {
  const names = await readdir(dir).catch(() => null);
  if (!names || names.length === 0) return UNKNOWN;
  let mainsOnline = false;
  let discharging = false;
  let batteryOnExternal = false;
  let batteryPct: number | null = null;
  for (const name of names) {
    const read = (file: string) =>
      readFile(join(dir, name, file), "utf8").then(
        (s) => s.trim(),
        () => null,
      );
    const type = (await read("type"))?.toLowerCase();
    if (type === "battery") {
      if ((await read("present")) === "0") continue;
      const status = (await read("status"))?.toLowerCase();
      if (status === "discharging") discharging = true;
      if (status === "charging" || status === "full" || status === "not charging") batteryOnExternal = true;
      const capacity = Number(await read("capacity"));
      if (batteryPct === null && Number.isFinite(capacity) && capacity >= 0 && capacity <= 100)
        batteryPct = capacity;
    } else if (type === "mains" || type === "usb" || type === "usb_c" || type === "usb_pd") {
      if ((await read("online")) === "1") mainsOnline = true;
    }
  }
  // A battery that is charging, full or "not charging" sits on external power.
  const powerState: PowerState = discharging
    ? "battery"
    : mainsOnline || batteryOnExternal
      ? "mains"
      : "unknown";
  return { powerState, batteryPct };
}
