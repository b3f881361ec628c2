/**
 * One virtual device of the fleet simulator, as pure state: its power profile and speed, its power trace and
 * battery, its request arrivals, and the energy it spends. The caller drives it with wall-clock times (ms) and
 * runs (or skips) the real computation; this class never touches a clock, a network or a model.
 *
 * Time scale: simulated time runs `timeScale` times faster than the wall clock. The trace is read at simulated
 * time and the battery sees every joule `timeScale` times (each wall second stands for `timeScale` seconds of the
 * device's life), so a day of `diurnal-solar` fits in 24 h / timeScale. Figures reported per inference and per
 * periodic interval stay in real (unscaled) joules.
 */
import type { PowerProfile } from "../energy/power-profiles";
import { BatteryModel } from "./battery";
import { createPowerTrace, type PowerTrace, type PowerTraceId, type SimPowerState } from "./power-traces";
import { createRng, type Rng } from "./prng";
import { DEFAULT_PRIORITY_SHARES, type PriorityShares, pickPriority, type SimPriority } from "./request-mix";
import { type SimulatedRun, simulateRunEnergy, speedFactorOf } from "./speed-factors";

/** A device whose battery ran flat comes back once it is charged to this level. */
export const RESTART_PCT = 5;

export interface VirtualDeviceOptions {
  profile: PowerProfile;
  trace: PowerTraceId;
  /** This device's own seed (e.g. deriveSeed(runSeed, index)). */
  seed: number;
  /** Base request rate (requests per wall second); the trace's load scales it. 0 = no built-in requests. */
  rateHz: number;
  priorities?: PriorityShares;
  /** Simulated seconds per wall second (default 1). */
  timeScale?: number;
  capacityWh?: number;
  initialPct?: number;
  startHour?: number;
  /** Host CPU second → board CPU seconds (default: the profile's SIM_SPEED_FACTORS entry). */
  speedFactor?: number;
  /** Wall clock (ms) at t0. */
  startWallMs: number;
}

export interface VirtualDeviceState {
  batteryPct: number | null;
  batteryTrendPctPerHour: number | null;
  powerState: SimPowerState;
  /** False while the battery is flat (until it is back at RESTART_PCT). */
  on: boolean;
}

export class VirtualDevice {
  readonly profile: PowerProfile;
  readonly trace: PowerTrace;
  readonly battery: BatteryModel | null;
  readonly speedFactor: number;
  readonly timeScale: number;
  private readonly rng: Rng;
  private readonly rateHz: number;
  private readonly priorities: PriorityShares;
  private readonly startWallMs: number;
  private lastWallMs: number;
  private nextArrivalMs: number;
  private powerState: SimPowerState;
  private on = true;
  private periodStartMs: number;
  private periodActiveJ = 0;

  constructor(opts: VirtualDeviceOptions) {
    this.profile = opts.profile;
    this.rng = createRng(opts.seed);
    this.trace = createPowerTrace(opts.trace, {
      profile: opts.profile,
      rng: this.rng,
      ...(opts.capacityWh !== undefined ? { capacityWh: opts.capacityWh } : {}),
      ...(opts.initialPct !== undefined ? { initialPct: opts.initialPct } : {}),
      ...(opts.startHour !== undefined ? { startHour: opts.startHour } : {}),
    });
    this.battery = this.trace.battery ? new BatteryModel(this.trace.battery) : null;
    this.speedFactor = opts.speedFactor ?? speedFactorOf(opts.profile);
    this.timeScale = opts.timeScale ?? 1;
    this.rateHz = opts.rateHz;
    this.priorities = opts.priorities ?? DEFAULT_PRIORITY_SHARES;
    this.startWallMs = opts.startWallMs;
    this.lastWallMs = opts.startWallMs;
    this.periodStartMs = opts.startWallMs;
    this.powerState = this.trace.supply(0).powerState;
    this.battery?.note(0);
    if (this.battery?.empty) this.on = false;
    this.nextArrivalMs = opts.startWallMs + this.gapMs(0);
  }

  /** Simulated seconds since t0 at wall time `wallMs`. */
  simSeconds(wallMs: number): number {
    return ((wallMs - this.startWallMs) / 1000) * this.timeScale;
  }

  /** Moves the device to `wallMs`: the board's idle power drains the battery, the supply charges it. */
  advance(wallMs: number): void {
    const dtWallS = (wallMs - this.lastWallMs) / 1000;
    if (dtWallS <= 0) return;
    this.lastWallMs = wallMs;
    const simS = this.simSeconds(wallMs);
    const supply = this.trace.supply(simS);
    this.powerState = supply.powerState;
    const battery = this.battery;
    if (!battery) return;
    const dtSimS = dtWallS * this.timeScale;
    // What the supply gives beyond what the board draws goes into the battery; a shortfall comes out of it.
    const netWatts = supply.chargeWatts - (this.on ? this.profile.idleWatts : 0);
    if (netWatts >= 0) battery.charge(netWatts, dtSimS);
    else battery.drain(-netWatts * dtSimS);
    battery.note(simS);
    if (this.on && battery.empty) this.on = false;
    else if (!this.on && battery.pct >= RESTART_PCT) this.on = true;
  }

  /**
   * Requests that arrived up to `wallMs`, oldest first (none while the device is off). Call after `advance`.
   */
  arrivals(wallMs: number, emit: (priority: SimPriority) => void): void {
    while (this.nextArrivalMs <= wallMs) {
      const at = this.nextArrivalMs;
      if (this.on) emit(pickPriority(this.rng, this.priorities));
      this.nextArrivalMs = at + this.gapMs(this.simSeconds(at));
    }
  }

  /**
   * Energy of one run measured on the host (CPU time capped at `threads` × wall: the run cannot use more cores than
   * it has threads; anything above is other work of the host process that ran beside it).
   */
  runEnergy(hostCpuMs: number, hostWallMs: number, threads: number): SimulatedRun {
    const cpuMs = Math.min(Math.max(0, hostCpuMs), Math.max(0, hostWallMs) * threads);
    return simulateRunEnergy({
      profile: this.profile,
      factor: this.speedFactor,
      hostCpuS: cpuMs / 1000,
      hostWallS: hostWallMs / 1000,
    });
  }

  /** Charges a run's active energy to the battery (its idle part is in `advance`) and to the current period. */
  consume(run: SimulatedRun): void {
    this.periodActiveJ += run.activeJ;
    this.battery?.drain(run.activeJ * this.timeScale);
  }

  /**
   * Ends the current periodic interval at `wallMs`: all the energy the board spent in it (idle over the interval
   * plus the active part of every run), in real joules.
   */
  takePeriod(wallMs: number): { energyJ: number; durationMs: number } {
    const durationMs = Math.max(0, wallMs - this.periodStartMs);
    const idleJ = this.on ? (this.profile.idleWatts * durationMs) / 1000 : 0;
    const energyJ = idleJ + this.periodActiveJ;
    this.periodStartMs = wallMs;
    this.periodActiveJ = 0;
    return { energyJ, durationMs };
  }

  state(): VirtualDeviceState {
    return {
      batteryPct: this.battery ? this.battery.pct : null,
      batteryTrendPctPerHour: this.battery ? this.battery.trendPctPerHour : null,
      powerState: this.powerState,
      on: this.on,
    };
  }

  private gapMs(simS: number): number {
    const rate = this.rateHz * this.trace.load(simS);
    return this.rng.exponential(rate) * 1000;
  }
}
