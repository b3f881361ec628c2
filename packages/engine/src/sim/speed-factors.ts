/**
 * How much slower a simulated board computes than the machine running the simulator, per power profile: one CPU
 * second measured on the host stands for `factor` CPU seconds on the board. APPROXIMATE single-core ratios against
 * a current desktop/NUC x86 core (≈ generic-x86), from public per-core benchmark results (Geekbench 5/6
 * single-core, Phoronix and Jeff Geerling's Pi tests); the host is assumed to be roughly that class. Every figure
 * computed with them is labelled `simulated`.
 */
import type { PowerProfile, PowerProfileId } from "../energy/power-profiles";

export interface SpeedFactor {
  factor: number;
  source: string;
}

export const SIM_SPEED_FACTORS: Readonly<Record<PowerProfileId, SpeedFactor>> = {
  "raspberry-pi-4": {
    factor: 4,
    source:
      "Cortex-A72 @ 1.8 GHz: ≈ ¼ of a current x86 core single-threaded (Geekbench single-core ≈ 250–300 vs ≈ 1100+)",
  },
  "raspberry-pi-5": {
    factor: 2,
    source:
      "Cortex-A76 @ 2.4 GHz: ≈ 2–2.5× the Pi 4 per core (Raspberry Pi Ltd, Jeff Geerling), ≈ ½ an x86 core",
  },
  "jetson-nano": {
    factor: 5,
    source: "Cortex-A57 @ 1.43 GHz: ≈ 0.8× a Pi 4 core (Phoronix ARM SBC comparisons)",
  },
  "jetson-orin-nano": {
    factor: 2.5,
    source: "Cortex-A78AE @ 1.5 GHz: ≈ 1.6× a Pi 4 core at a lower clock than the Pi 5's A76",
  },
  "generic-x86": {
    factor: 1,
    source: "the reference: a NUC-class x86 core ≈ the simulator's host core",
  },
};

export function speedFactorOf(profile: Pick<PowerProfile, "id">): number {
  return Object.hasOwn(SIM_SPEED_FACTORS, profile.id)
    ? SIM_SPEED_FACTORS[profile.id as PowerProfileId].factor
    : 1;
}

export interface SimulatedRun {
  /** CPU seconds on the simulated board (host CPU seconds × factor). */
  deviceCpuS: number;
  /** Wall seconds on the simulated board (host wall seconds × factor). */
  deviceWallS: number;
  /** cpu × active watts per core: the part the computation adds. */
  activeJ: number;
  /** idle watts × wall: the board's baseline over the run. */
  idleJ: number;
  energyJ: number;
}

/**
 * Energy of one run on the simulated board: activeWattsPerCore × host CPU time × factor + idleWatts × wall time on
 * the board (host wall × factor) — the agent's `model` meter formula, moved to the simulated board.
 */
export function simulateRunEnergy(input: {
  profile: Pick<PowerProfile, "idleWatts" | "activeWattsPerCore">;
  factor: number;
  hostCpuS: number;
  hostWallS: number;
}): SimulatedRun {
  const deviceCpuS = Math.max(0, input.hostCpuS) * input.factor;
  const deviceWallS = Math.max(0, input.hostWallS) * input.factor;
  const activeJ = deviceCpuS * input.profile.activeWattsPerCore;
  const idleJ = deviceWallS * input.profile.idleWatts;
  return { deviceCpuS, deviceWallS, activeJ, idleJ, energyJ: activeJ + idleJ };
}
