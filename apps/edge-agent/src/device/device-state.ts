/** The device state attached to every sample and heartbeat: CPU share, memory, queue, power. */
import type { DeviceState } from "@edgewatt/protocol";
import { type PowerReading, readPowerSupply } from "./power-supply";
import { CpuSampler, rssBytes } from "./process-stats";

export class DeviceStateReader {
  private readonly cpu = new CpuSampler();
  private power: PowerReading = { powerState: "unknown", batteryPct: null };
  private timer: NodeJS.Timeout | null = null;
  private powerRefresh = 0;

  /** Samples CPU every `intervalMs`; re-reads the power supply every fifth tick. */
  async start(intervalMs = 1000): Promise<void> {
    this.power = await readPowerSupply();
    this.timer = setInterval(() => {
      this.cpu.sample();
      if (++this.powerRefresh % 5 === 0) {
        void readPowerSupply().then((p) => {
          this.power = p;
        });
      }
    }, intervalMs);
    this.timer.unref();
  }

  stop(): void {
    if (this.timer) clearInterval(this.timer);
    this.timer = null;
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
