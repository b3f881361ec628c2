/** Fixtures shared by the scheduler tests (not exported from the package). */
import type { LadderEntry, ObservedState } from "./types";

export function entry(
  name: string,
  fidelity: number | null,
  figures: { sizeBytes?: number; energyJ?: number | null; latencyMs?: number | null } = {},
): LadderEntry {
  return {
    name,
    fidelity,
    sizeBytes: figures.sizeBytes ?? 1000,
    energyJ: figures.energyJ ?? null,
    latencyMs: figures.latencyMs ?? null,
  };
}

/**
 * A six-variant ladder as the control plane ships it. Within the default 0.98 floor: fp32 (baseline), fp16,
 * int8-dynamic, int8-static. int4 is below the floor; pruned has no measured fidelity. The cheapest within the
 * floor is int8-static on energy but int8-dynamic on latency; outside the floor, int4 and pruned are cheaper still.
 */
export const LADDER: readonly LadderEntry[] = [
  entry("fp32", null, { sizeBytes: 4000, energyJ: 0.05, latencyMs: 10 }),
  entry("fp16", 0.999, { sizeBytes: 2000, energyJ: 0.045, latencyMs: 9 }),
  entry("int8-dynamic", 0.99, { sizeBytes: 1100, energyJ: 0.02, latencyMs: 3 }),
  entry("int8-static", 0.985, { sizeBytes: 1000, energyJ: 0.015, latencyMs: 3.5 }),
  entry("int4", 0.95, { sizeBytes: 600, energyJ: 0.01, latencyMs: 2.5 }),
  entry("pruned", null, { sizeBytes: 500, energyJ: 0.005, latencyMs: 2 }),
];

export function observe(overrides: Partial<ObservedState> = {}): ObservedState {
  return {
    ladder: LADDER,
    priority: "normal",
    batteryPct: null,
    batteryTrendPctPerHour: null,
    powerState: "mains",
    queueDepth: 0,
    recentLatencyMsP50: null,
    observedEnergyJ: new Map(),
    ...overrides,
  };
}
