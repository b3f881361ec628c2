/** The device state attached to every sample and heartbeat, and seen by the scheduler: CPU, memory, queue, power. */
import { join } from "node:path";
import type { DeviceState } from "@edgewatt/protocol";
import { type PowerReading, readPowerSupply } from "./power-supply";
import { CpuSampler, rssBytes } from "./process-stats";

/** Battery readings kept for the trend (a least-squares slope over this window). */
const TREND_WINDOW_MS = 15 * 60_000;
const TREND_MIN_SPAN_MS = 60_000;

export interface DeviceStateReaderOptions {
  /** sysfs root (default /sys); the power supply is read from <root>/class/power_supply. */
  sysRoot?: string;
  /** How often the power supply is re-read (default 5 s). */
  powerIntervalMs?: number;
}

export class DeviceStateReader {
  private readonly cpu = new CpuSampler();
  private power: PowerReading = { powerState: "unknown", batteryPct: null };
  private readonly history: Array<{ t: number; pct: number }> = [];
  private cpuTimer: NodeJS.Timeout | null = null;
  private powerTimer: NodeJS.Timeout | null = null;
  private readonly dir: string;

  constructor(private readonly opts: DeviceStateReaderOptions = {}) {
    this.dir = join(opts.sysRoot ?? "/sys", "class", "power_supply");
  }

  /** Samples CPU every `intervalMs` and the power supply every `powerIntervalMs`. */
  async start(intervalMs = 1000): Promise<void> {
    await this.refreshPower();
    this.cpuTimer = setInterval(() => this.cpu.sample(), intervalMs);
    this.cpuTimer.unref();
    this.powerTimer = setInterval(() => void this.refreshPower(), this.opts.powerIntervalMs ?? 5000);
    this.powerTimer.unref();
  }

  stop(): void {
    if (this.cpuTimer) clearInterval(this.cpuTimer);
    if (this.powerTimer) clearInterval(this.powerTimer);
    this.cpuTimer = null;
    this.powerTimer = null;
  }

  async refreshPower(): Promise<void> {
    this.power = await readPowerSupply(this.dir);
    const pct = this.power.batteryPct;
    if (pct === null) return;
    const now = Date.now();
    this.history.push({ t: now, pct });
    while (this.history.length > 0 && (this.history[0]?.t ?? now) < now - TREND_WINDOW_MS)
      this.history.shift();
  }

  get powerState(): PowerReading["powerState"] {
    return this.power.powerState;
  }

  get batteryPct(): number | null {
    return this.power.batteryPct;
  }

  /** Battery change in %/h over the last 15 minutes (negative while draining); null without a minute of data. */
  get batteryTrendPctPerHour(): number | null {
    return batteryTrend(this.history);
  }

  current(queueDepth: number): DeviceState {
    return {
      batteryPct: this.power.batteryPct,
      powerState: this.power.powerState,
      cpuPct: this.cpu.last,
      memBytes: rssBytes(),
      queueDepth,
    };
  }
}

/** Least-squares slope of (time, %) in %/h; null when the readings span less than a minute. */
export function batteryTrend(readings: ReadonlyArray<{ t: number; pct: number }>): number | null {
  const first = readings[0];
  const last = readings[readings.length - 1];
  if (!first || !last || last.t - first.t < TREND_MIN_SPAN_MS) return null;
  const n = readings.length;
  let st = 0;
  let sp = 0;
  for (const r of readings) {
    st += r.t - first.t;
    sp += r.pct;
  }
  const mt = st / n;
  const mp = sp / n;
  let num = 0;
  let den = 0;
  for (const r of readings) {
    const dt = r.t - first.t - mt;
    num += dt * (r.pct - mp);
    den += dt * dt;
  }
  return den === 0 ? null : (num / den) * 3_600_000;
}
