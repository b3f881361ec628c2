/**
 * The `model` meter: for machines without an energy sensor. Energy of a piece of work =
 * process CPU time during it (user + system; includes onnxruntime's native threads) × the profile's active watts
 * per core + the profile's idle watts × wall time. The formula and the profiles live in @edgewatt/engine so the
 * fleet simulator and the agent agree.
 */
import {
  findPowerProfile,
  modelEnergyJoules,
  POWER_PROFILE_IDS,
  type PowerProfile,
} from "@edgewatt/engine/energy";
import { AgentError } from "../errors";
import type { EnergyMeter, Measurement } from "./types";

export const DEFAULT_PROFILE = "generic-x86";

/** The engine's power profile, or an AgentError naming the known ones (the CLI's --profile). */
export function getPowerProfile(name: string): PowerProfile {
  const profile = findPowerProfile(name);
  if (!profile) {
    throw new AgentError(
      "UNKNOWN_PROFILE",
      `unknown power profile "${name}" — use one of: ${POWER_PROFILE_IDS.join(", ")}`,
    );
  }
  return profile;
}

export interface ModelMeter extends EnergyMeter {
  readonly source: "model";
  readonly profile: PowerProfile;
}

export function createModelMeter(profileName: string = DEFAULT_PROFILE): ModelMeter {
  const profile = getPowerProfile(profileName);
  return {
    source: "model",
    profile,
    description: `model (profile ${profile.id}, approximate: ${profile.activeWattsPerCore} W per busy core + ${profile.idleWatts} W idle)`,
    async measure<T>(fn: () => T | Promise<T>): Promise<Measurement<T>> {
      const cpu0 = process.cpuUsage();
      const t0 = process.hrtime.bigint();
      let outcome: { ok: true; result: T } | { ok: false; error: unknown };
      try {
        outcome = { ok: true, result: await fn() };
      } catch (error) {
        outcome = { ok: false, error };
      }
      const wallMs = Number(process.hrtime.bigint() - t0) / 1e6;
      const cpu = process.cpuUsage(cpu0);
      const cpuMs = (cpu.user + cpu.system) / 1000;
      const energyJ = modelEnergyJoules({ cpuSeconds: cpuMs / 1000, wallSeconds: wallMs / 1000, profile });
      return { source: "model", energyJ, wallMs, cpuMs, ...outcome };
    },
  };
}
