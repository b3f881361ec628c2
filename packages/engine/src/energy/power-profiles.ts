/**
 * Device power profiles for the `model` energy meter and the evaluator. All figures are APPROXIMATE
 * whole-board numbers (what a USB-C / barrel-jack power meter reads), taken from public measurements
 * and vendor documents listed in `source`; they are a fallback for devices without a power sensor and
 * every report that uses them says so. Prefer a measured meter (rapl, hwmon, battery, nvml) when present.
 */
import { EnergyModelError } from "../errors";

export interface PowerProfile {
  id: string;
  label: string;
  /** Board power with the OS idle, no peripherals beyond network (W). */
  idleWatts: number;
  /** Extra power of one fully busy CPU core above idle (W); all-core load ≈ idle + cores × this. */
  activeWattsPerCore: number;
  cores: number;
  approximate: true;
  source: string;
}

export const POWER_PROFILES = {
  "raspberry-pi-4": {
    id: "raspberry-pi-4",
    label: "Raspberry Pi 4 Model B (4× Cortex-A72 @ 1.5–1.8 GHz)",
    idleWatts: 2.7,
    activeWattsPerCore: 0.95,
    cores: 4,
    approximate: true,
    source:
      "Public wall-power measurements of the Pi 4 B (Raspberry Pi Ltd product brief / forum figures; Jeff Geerling's " +
      "and Tom's Hardware's stress-ng tests): ≈2.7 W idle, ≈6.4 W with all 4 cores busy → ≈0.9–1.0 W per core.",
  },
  "raspberry-pi-5": {
    id: "raspberry-pi-5",
    label: "Raspberry Pi 5 (4× Cortex-A76 @ 2.4 GHz)",
    idleWatts: 2.7,
    activeWattsPerCore: 1.4,
    cores: 4,
    approximate: true,
    source:
      "Public wall-power measurements of the Pi 5 (Jeff Geerling's Pi 5 power tests, Raspberry Pi Ltd's 5 V/5 A " +
      "supply guidance): ≈2.5–3 W idle, ≈8 W under stress-ng on all 4 cores → ≈1.3–1.5 W per core.",
  },
  "jetson-nano": {
    id: "jetson-nano",
    label: "NVIDIA Jetson Nano 4GB dev kit (4× Cortex-A57 @ 1.43 GHz), 10 W mode (MAXN)",
    idleWatts: 1.9,
    activeWattsPerCore: 0.8,
    cores: 4,
    approximate: true,
    source:
      "NVIDIA Jetson Nano module data sheet and L4T power-mode docs (5 W / 10 W nvpmodel budgets) plus public " +
      "INA3221 (tegrastats) readings: ≈1.5–2 W idle module+carrier, CPU rail ≈3–3.5 W with 4 cores busy.",
  },
  "jetson-orin-nano": {
    id: "jetson-orin-nano",
    label: "NVIDIA Jetson Orin Nano 8GB dev kit (6× Cortex-A78AE @ 1.5 GHz), 15 W mode",
    idleWatts: 4.5,
    activeWattsPerCore: 0.75,
    cores: 6,
    approximate: true,
    source:
      "NVIDIA Jetson Orin Nano series data sheet power modes (7 W / 15 W; 25 W 'Super' with JetPack 6.2) and public " +
      "dev-kit measurements: ≈4–5 W idle, CPU cluster ≈4–5 W with all 6 cores busy in the 15 W mode.",
  },
  "generic-x86": {
    id: "generic-x86",
    label: "Generic small x86-64 box (4-core mobile/NUC-class CPU)",
    idleWatts: 8,
    activeWattsPerCore: 5,
    cores: 4,
    approximate: true,
    source:
      "Order-of-magnitude figures for NUC-class mini PCs from public reviews (≈6–10 W idle, ≈25–30 W all-core " +
      "load on a 15–28 W TDP part). Use RAPL on real x86 hosts; this profile is only for simulation.",
  },
} as const satisfies Record<string, PowerProfile>;

export type PowerProfileId = keyof typeof POWER_PROFILES;
export const POWER_PROFILE_IDS = Object.keys(POWER_PROFILES) as PowerProfileId[];

export function findPowerProfile(id: string): PowerProfile | undefined {
  return Object.hasOwn(POWER_PROFILES, id) ? POWER_PROFILES[id as PowerProfileId] : undefined;
}

/** The profile with this id; throws EnergyModelError(POWER_PROFILE_UNKNOWN) listing the known ids. */
export function getPowerProfile(id: string): PowerProfile {
  const profile = findPowerProfile(id);
  if (!profile) {
    throw new EnergyModelError(
      "POWER_PROFILE_UNKNOWN",
      `unknown device power profile '${id}'; known profiles: ${POWER_PROFILE_IDS.join(", ")}`,
    );
  }
  return profile;
}
