/**
 * The request mix of a virtual device: Poisson arrivals at a base rate (scaled by the power trace's load) and a
 * priority drawn per request from fixed shares.
 */
import { EnergyModelError } from "../errors";
import type { Rng } from "./prng";

export const SIM_PRIORITIES = ["critical", "normal", "background"] as const;
export type SimPriority = (typeof SIM_PRIORITIES)[number];

export type PriorityShares = Readonly<Record<SimPriority, number>>;

export const DEFAULT_PRIORITY_SHARES: PriorityShares = { critical: 0.1, normal: 0.7, background: 0.2 };

/**
 * "critical=1,normal=7,background=2" (any non-negative weights; normalised; omitted priorities get 0) → shares.
 */
export function parsePriorityShares(text: string): PriorityShares {
  const shares: Record<SimPriority, number> = { critical: 0, normal: 0, background: 0 };
  for (const part of text.split(",")) {
    const item = part.trim();
    if (!item) continue;
    const [name, value, ...rest] = item.split("=");
    const weight = Number(value);
    if (rest.length > 0 || !name || !(SIM_PRIORITIES as readonly string[]).includes(name.trim())) {
      throw new EnergyModelError(
        "ENERGY_INPUT_INVALID",
        `request mix "${text}": "${item}" is not <priority>=<weight> with priority one of ${SIM_PRIORITIES.join(", ")}`,
      );
    }
    if (!Number.isFinite(weight) || weight < 0) {
      throw new EnergyModelError(
        "ENERGY_INPUT_INVALID",
        `request mix "${text}": weight of ${name} must be ≥ 0`,
      );
    }
    shares[name.trim() as SimPriority] = weight;
  }
  const total = shares.critical + shares.normal + shares.background;
  if (!(total > 0)) {
    throw new EnergyModelError(
      "ENERGY_INPUT_INVALID",
      `request mix "${text}": at least one weight must be > 0`,
    );
  }
  return {
    critical: shares.critical / total,
    normal: shares.normal / total,
    background: shares.background / total,
  };
}

export function pickPriority(rng: Rng, shares: PriorityShares): SimPriority {
  const r = rng.next();
  if (r < shares.critical) return "critical";
  if (r < shares.critical + shares.normal) return "normal";
  return shares.background > 0 ? "background" : "normal";
}

/** Seconds until the next request of a Poisson process at `rateHz` (Infinity for 0). */
export function nextArrivalGapS(rng: Rng, rateHz: number): number {
  return rng.exponential(rateHz);
}
