/**
 * Requests arrive at `rateHz` into a bounded queue; one worker serves them in order with whatever model the slot
 * holds when the request starts. Each inference is metered and becomes one telemetry sample.
 */
import type { Logger } from "@edgewatt/nats";
import type { DeviceState } from "@edgewatt/protocol";
import { errorMessage } from "../errors";
import type { InputSource } from "../inputs/input-source";
import type { EnergyMeter } from "../meters/types";
import { buildFeeds } from "../runtime/feeds";
import type { ModelSlot } from "../runtime/model-slot";
import type { SampleInput } from "../telemetry/telemetry-publisher";
import type { AgentStats } from "./stats";

export interface InferenceLoopOptions {
  slot: ModelSlot;
  meter: EnergyMeter;
  source: InputSource;
  stats: AgentStats;
  log: Logger;
  rateHz: number;
  record: (sample: SampleInput) => void;
  deviceState: (queueDepth: number) => DeviceState;
  maxQueue?: number;
}

const LATENCY_WINDOW = 32;

export class InferenceLoop {
  readonly recentLatencyMs: number[] = [];
  private readonly queue: number[] = [];
  private ticker: NodeJS.Timeout | null = null;
  private wake: (() => void) | null = null;
  private stopping = false;
  private worker: Promise<void> | null = null;
  private errorStreak = 0;

  constructor(private readonly opts: InferenceLoopOptions) {}

  get queueDepth(): number {
    return this.queue.length;
  }

  start(): void {
    const periodMs = 1000 / this.opts.rateHz;
    this.ticker = setInterval(() => this.enqueue(), periodMs);
    this.worker = this.work();
  }

  /** Stops taking requests, lets the in-flight inference finish, and drops the queued rest. */
  async stop(): Promise<void> {
    this.stopping = true;
    if (this.ticker) clearInterval(this.ticker);
    this.ticker = null;
    this.queue.length = 0;
    this.wake?.();
    await this.worker;
  }

  private enqueue(): void {
    // Without a model there is nothing to serve; requests are not queued up for later.
    if (!this.opts.slot.model) return;
    if (this.queue.length >= (this.opts.maxQueue ?? 100)) {
      this.opts.stats.requestsDropped++;
      return;
    }
    this.queue.push(Date.now());
    this.wake?.();
  }

  private async work(): Promise<void> {
    while (!this.stopping) {
      if (this.queue.length === 0) {
        await new Promise<void>((resolve) => {
          this.wake = resolve;
        });
        this.wake = null;
        continue;
      }
      this.queue.shift();
      await this.serveOne();
    }
  }

  private async serveOne(): Promise<void> {
    const { slot, meter, stats, log } = this.opts;
    const lease = slot.acquire();
    if (!lease) return;
    const { model } = lease;
    try {
      const feeds = buildFeeds(model.feeds, this.opts.source);
      const ts = Date.now();
      const m = await meter.measure(() => model.session.run(feeds));
      if (m.ok) {
        stats.inferences++;
        this.errorStreak = 0;
      } else {
        stats.inferenceErrors++;
        // The first failure of a streak, then every hundredth: the log must not drown.
        if (this.errorStreak++ % 100 === 0) {
          log.error(
            { variant: model.variant.name, err: errorMessage(m.error), streak: this.errorStreak },
            "inference failed",
          );
        }
      }
      this.recentLatencyMs.push(m.wallMs);
      if (this.recentLatencyMs.length > LATENCY_WINDOW) this.recentLatencyMs.shift();
      this.opts.record({
        ts,
        kind: "inference",
        energyJ: m.energyJ,
        energySource: m.source,
        durationMs: m.wallMs,
        modelId: model.modelId,
        variant: model.variant.name,
        threads: model.threads,
        priority: "normal",
        ok: m.ok,
        state: this.opts.deviceState(this.queue.length),
      });
    } catch (err) {
      stats.inferenceErrors++;
      log.error({ err: errorMessage(err) }, "inference request failed before running");
    } finally {
      lease.release();
    }
  }
}
