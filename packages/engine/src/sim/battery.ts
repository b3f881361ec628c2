/**
 * A virtual device's battery: capacity in Wh, state of charge, drained by joules and charged by watts over
 * simulated seconds. The trend (%/h) is what a real agent would see: a least-squares slope over the last 15
 * minutes of periodic readings, and unknown until a minute of readings exists (as in the agent's device state).
 */
import { EnergyModelError } from "../errors";

export interface BatteryOptions {
  capacityWh: number;
  /** State of charge at the start, 0..100. */
  initialPct: number;
  /** Window of the trend, in simulated seconds (default 900). */
  trendWindowS?: number;
}

const READINGS = 16;
const TREND_MIN_SPAN_S = 60;

export class BatteryModel {
  readonly capacityWh: number;
  readonly capacityJ: number;
  private storedJ: number;
  /** Ring of (simulated second, %) readings, oldest overwritten first. */
  private readonly readingT = new Float64Array(READINGS);
  private readonly readingPct = new Float64Array(READINGS);
  private readings = 0;
  private readonly spacingS: number;
  private readonly windowS: number;

  constructor(opts: BatteryOptions) {
    if (!Number.isFinite(opts.capacityWh) || opts.capacityWh <= 0) {
      throw new EnergyModelError(
        "ENERGY_INPUT_INVALID",
        `battery capacity must be > 0 Wh, got ${opts.capacityWh}`,
      );
    }
    if (!Number.isFinite(opts.initialPct) || opts.initialPct < 0 || opts.initialPct > 100) {
      throw new EnergyModelError(
        "ENERGY_INPUT_INVALID",
        `battery start level must be within 0..100 %, got ${opts.initialPct}`,
      );
    }
    this.capacityWh = opts.capacityWh;
    this.capacityJ = opts.capacityWh * 3600;
    this.storedJ = (this.capacityJ * opts.initialPct) / 100;
    this.windowS = opts.trendWindowS ?? 900;
    this.spacingS = this.windowS / (READINGS - 1);
  }

  get pct(): number {
    return (this.storedJ / this.capacityJ) * 100;
  }

  get storedWh(): number {
    return this.storedJ / 3600;
  }

  get empty(): boolean {
    return this.storedJ <= 0;
  }

  /** Takes `joules` out (never below empty); returns what was actually drawn. */
  drain(joules: number): number {
    if (!(joules > 0)) return 0;
    const drawn = Math.min(joules, this.storedJ);
    this.storedJ -= drawn;
    return drawn;
  }

  /** Puts `watts` × `seconds` in (never above full); returns the joules stored. */
  charge(watts: number, seconds: number): number {
    const joules = watts * seconds;
    if (!(joules > 0)) return 0;
    const stored = Math.min(joules, this.capacityJ - this.storedJ);
    this.storedJ += stored;
    return stored;
  }

  /**
   * Records the level at simulated time `simS` for the trend. Readings closer together than window / 15 are
   * folded into the latest one, so the ring always spans about the window.
   */
  note(simS: number): void {
    const pct = this.pct;
    if (this.readings > 1) {
      const prev = (this.readings - 2) % READINGS;
      if (simS - (this.readingT[prev] ?? 0) < this.spacingS) {
        const last = (this.readings - 1) % READINGS;
        this.readingT[last] = simS;
        this.readingPct[last] = pct;
        return;
      }
    }
    const i = this.readings % READINGS;
    this.readingT[i] = simS;
    this.readingPct[i] = pct;
    this.readings++;
  }

  /** %/h over the trend window (negative while draining); null until the readings span a simulated minute. */
  get trendPctPerHour(): number | null {
    const n = Math.min(this.readings, READINGS);
    if (n < 2) return null;
    const newest = (this.readings - 1) % READINGS;
    const tEnd = this.readingT[newest] ?? 0;
    let count = 0;
    let st = 0;
    let sp = 0;
    let tFirst = Number.POSITIVE_INFINITY;
    for (let k = 0; k < n; k++) {
      const t = this.readingT[k] ?? 0;
      if (t < tEnd - this.windowS) continue;
      count++;
      st += t;
      sp += this.readingPct[k] ?? 0;
      if (t < tFirst) tFirst = t;
    }
    if (count < 2 || tEnd - tFirst < TREND_MIN_SPAN_S) return null;
    const mt = st / count;
    const mp = sp / count;
    let num = 0;
    let den = 0;
    for (let k = 0; k < n; k++) {
      const t = this.readingT[k] ?? 0;
      if (t < tEnd - this.windowS) continue;
      const dt = t - mt;
      num += dt * ((this.readingPct[k] ?? 0) - mp);
      den += dt * dt;
    }
    return den === 0 ? null : (num / den) * 3600;
  }
}
