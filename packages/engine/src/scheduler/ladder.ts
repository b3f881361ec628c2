/**
 * What the policies derive from a ladder: quality order, the variants within a fidelity floor, and the cost each
 * one is compared on.
 *
 * Quality: fidelity, highest first; unknown fidelity last; ties keep ladder order. The first entry is the baseline
 * the others were measured against, so an unknown fidelity there counts as 1.
 *
 * Cost basis, in preference order — the first one that every candidate has a finite figure for is used, so
 * costs are only ever compared on one basis:
 *   1. "observed-energy": this device's own measured energy per inference (EWMA, J);
 *   2. "energy": the control plane's measured energy per inference (manifest energyJ);
 *   3. "latency": the control plane's measured latency (manifest latencyMs) — a stand-in for CPU time;
 *   4. "size": the file size, the last resort every variant has.
 */
import type { LadderEntry } from "./types";

export const COST_BASES = ["observed-energy", "energy", "latency", "size"] as const;
export type CostBasis = (typeof COST_BASES)[number];

/** The ladder's first entry; the only way `decide` can fail is an empty ladder. */
export function firstEntry(ladder: readonly LadderEntry[], who: string): LadderEntry {
  const first = ladder[0];
  if (!first) throw new RangeError(`${who}: the ladder is empty; a deployment needs at least one variant`);
  return first;
}

/** Fidelity used for ordering and the floor: the baseline's unknown fidelity counts as 1. */
export function effectiveFidelity(ladder: readonly LadderEntry[], entry: LadderEntry): number | null {
  return entry.fidelity ?? (entry === ladder[0] ? 1 : null);
}

/** The ladder in quality order (a new array). */
export function sortByQuality(ladder: readonly LadderEntry[]): LadderEntry[] {
  const order = new Map(ladder.map((e, i) => [e, i]));
  return [...ladder].sort((a, b) => {
    const fa = effectiveFidelity(ladder, a);
    const fb = effectiveFidelity(ladder, b);
    if (fa !== fb) {
      if (fa === null) return 1;
      if (fb === null) return -1;
      return fb - fa;
    }
    return (order.get(a) ?? 0) - (order.get(b) ?? 0);
  });
}

export interface LadderView {
  readonly ladder: readonly LadderEntry[];
  /** Top of the quality order. */
  readonly best: LadderEntry;
  /** Entries with fidelity ≥ the floor (always including the baseline), in quality order. Never empty. */
  readonly withinFloor: readonly LadderEntry[];
  /** The manifest basis shared by every entry within the floor (observed energy is checked per request). */
  readonly manifestBasis: Exclude<CostBasis, "observed-energy">;
  /** Whether every entry within the floor has a manifest latency. */
  readonly latencyKnown: boolean;
}

export function createLadderView(ladder: readonly LadderEntry[], minFidelity: number): LadderView {
  const first = firstEntry(ladder, "scheduler");
  const ordered = sortByQuality(ladder);
  const withinFloor = ordered.filter((e) => {
    if (e === first) return true;
    const f = effectiveFidelity(ladder, e);
    return f !== null && f >= minFidelity;
  });
  const all = (pick: (e: LadderEntry) => number | null) =>
    withinFloor.every((e) => {
      const v = pick(e);
      return v !== null && Number.isFinite(v);
    });
  const latencyKnown = all((e) => e.latencyMs);
  return {
    ladder,
    best: ordered[0] ?? first,
    withinFloor,
    manifestBasis: all((e) => e.energyJ) ? "energy" : latencyKnown ? "latency" : "size",
    latencyKnown,
  };
}

/** The basis the cheapest-within-floor choice compares on for this request. */
export function costBasis(view: LadderView, observedEnergyJ: ReadonlyMap<string, number>): CostBasis {
  if (observedEnergyJ.size === 0) return view.manifestBasis;
  for (const e of view.withinFloor) {
    const v = observedEnergyJ.get(e.name);
    if (v === undefined || !Number.isFinite(v)) return view.manifestBasis;
  }
  return "observed-energy";
}

/** The entry's cost on `basis` (callers only pass a basis every candidate has). */
export function costOf(
  entry: LadderEntry,
  basis: CostBasis,
  observedEnergyJ: ReadonlyMap<string, number>,
): number {
  switch (basis) {
    case "observed-energy":
      return observedEnergyJ.get(entry.name) ?? Number.POSITIVE_INFINITY;
    case "energy":
      return entry.energyJ ?? Number.POSITIVE_INFINITY;
    case "latency":
      return entry.latencyMs ?? Number.POSITIVE_INFINITY;
    case "size":
      return entry.sizeBytes;
  }
}

/** Lowest cost on `basis` within the floor; ties go to the higher-quality entry. */
export function cheapestOn(
  view: LadderView,
  basis: CostBasis,
  observedEnergyJ: ReadonlyMap<string, number>,
): LadderEntry {
  const candidates = view.withinFloor;
  let best = candidates[0] ?? view.best;
  let bestCost = costOf(best, basis, observedEnergyJ);
  for (let i = 1; i < candidates.length; i++) {
    const e = candidates[i]!;
    const c = costOf(e, basis, observedEnergyJ);
    if (c < bestCost) {
      best = e;
      bestCost = c;
    }
  }
  return best;
}
