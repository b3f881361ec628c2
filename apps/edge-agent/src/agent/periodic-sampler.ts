/**
 * A `periodic` telemetry sample every interval: the energy the meter saw over the whole interval (for the `model`
 * meter: the process's CPU time × per-core watts + idle watts × wall time; for a sensor: its counter delta), with
 * the device state at its end. Periodic samples cover all the time, idle included, so they are what totals are
 * computed from; inference samples attribute energy to single requests and must not be added on top.
 */
import type { Logger } from "@edgewatt/nats";
import type { DeviceState } from "@edgewatt/protocol";
import { errorMessage } from "../errors";
import type { EnergyMeter } from "../meters/types";
import type { SampleInput } from "../telemetry/telemetry-publisher";

export interface PeriodicSamplerOptions {
  meter: EnergyMeter;
  intervalMs: number;
  record: (sample: SampleInput) => void;
  state: () => DeviceState;
  /** What is deployed now (model and the variant that served last), for the sample's labels. */
  serving: () => { modelId: string | null; variant: string | null };
  log: Logger;
}

export class PeriodicSampler {
  private readonly stopSignal = new AbortController();
  private loop: Promise<void> | null = null;

  constructor(private readonly opts: PeriodicSamplerOptions) {}

  start(): void {
    if (this.opts.intervalMs <= 0) return;
    this.loop = this.run();
  }

  /** Ends the current interval early (it is still recorded, with its true duration) and stops. */
  async stop(): Promise<void> {
    this.stopSignal.abort();
    await this.loop;
  }

  private async run(): Promise<void> {
    const signal = this.stopSignal.signal;
    while (!signal.aborted) {
      const ts = Date.now();
      try {
        const m = await this.opts.meter.measure(() => wait(this.opts.intervalMs, signal));
        const serving = this.opts.serving();
        this.opts.record({
          ts,
          kind: "periodic",
          energyJ: m.energyJ,
          energySource: m.source,
          durationMs: m.wallMs,
          modelId: serving.modelId,
          variant: serving.variant,
          threads: null,
          priority: null,
          ok: true,
          decision: null,
          state: this.opts.state(),
        });
      } catch (err) {
        this.opts.log.warn({ err: errorMessage(err) }, "periodic sample failed");
        await wait(this.opts.intervalMs, signal);
      }
    }
  }
}

function wait(ms: number, signal: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    if (signal.aborted) return resolve();
    const timer = setTimeout(done, ms);
    function done() {
      clearTimeout(timer);
      signal.removeEventListener("abort", done);
      resolve();
    }
    signal.addEventListener("abort", done, { once: true });
  });
}
