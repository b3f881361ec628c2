/**
 * Serves inference requests — from the built-in input source at `rateHz` (with a priority mix) and from the
 * local API — through one priority queue. Per request: observe the device, ask the deployment's policy for a
 * variant and thread count, run it on a warm session (a substitute while the chosen one warms up), meter it, and
 * record one telemetry sample of what actually ran and why.
 */
import type { ObservedState } from "@edgewatt/engine/scheduler";
import type { Logger } from "@edgewatt/nats";
import type { DeviceState, Priority } from "@edgewatt/protocol";
import type { Tensor } from "onnxruntime-node";
import { errorMessage } from "../errors";
import type { InputSource } from "../inputs/input-source";
import type { EnergyMeter } from "../meters/types";
import type { ActiveDeployment } from "../runtime/active-deployment";
import { buildFeeds } from "../runtime/feeds";
import type { Slot } from "../runtime/slot";
import type { SampleInput } from "../telemetry/telemetry-publisher";
import { RequestQueue } from "./request-queue";
import type { AgentStats } from "./stats";

export interface ServeRequest {
  priority: Priority;
  /** performance.now() when it was queued. */
  enqueuedAt: number;
  /** Inputs given by a local API caller; built from the input source when absent. */
  inputs?: Record<string, Tensor>;
  signal?: AbortSignal;
  /** Set for API callers: receives the result (or the error) of this request. */
  reply?: (outcome: { ok: true; result: ServedResult } | { ok: false; error: Error }) => void;
}

export interface ServedResult {
  variant: string;
  threads: number;
  reason: string;
  substitutedFor: string | null;
  latencyMs: number;
  queueMs: number;
  energyJ: number;
  energySource: string;
  outputs: Record<string, Tensor>;
}

export interface DeviceView {
  current(queueDepth: number): DeviceState;
  readonly batteryPct: number | null;
  readonly batteryTrendPctPerHour: number | null;
  readonly powerState: DeviceState["powerState"];
}

export interface InferenceLoopOptions {
  slot: Slot<ActiveDeployment>;
  meter: EnergyMeter;
  /** The built-in request source; null = only local API requests. */
  source: InputSource | null;
  stats: AgentStats;
  log: Logger;
  rateHz: number;
  /** Share of built-in requests per priority. */
  priorityMix?: Partial<Record<Priority, number>>;
  record: (sample: SampleInput) => void;
  device: DeviceView;
  maxQueue?: number;
}

const LATENCY_WINDOW = 32;

/** Thrown to API callers. */
export class ServeError extends Error {
  constructor(
    readonly code: "NO_MODEL" | "QUEUE_FULL" | "EVICTED" | "STOPPING" | "CANCELLED" | "INFERENCE_FAILED",
    message: string,
  ) {
    super(message);
  }
}

export class InferenceLoop {
  private readonly latencies = new Float64Array(LATENCY_WINDOW);
  private latencyCount = 0;
  private p50: number | null = null;
  readonly queue: RequestQueue<ServeRequest>;
  private ticker: NodeJS.Timeout | null = null;
  private stopping = false;
  private worker: Promise<void> | null = null;
  private readonly abort = new AbortController();
  private errorStreak = 0;
  private readonly mix: Array<[Priority, number]>;
  private readonly mixTotal: number;

  constructor(private readonly opts: InferenceLoopOptions) {
    const capacity = opts.maxQueue ?? 100;
    this.queue = new RequestQueue<ServeRequest>({ capacity });
    const mix = Object.entries(opts.priorityMix ?? { normal: 1 }).filter(([, w]) => (w ?? 0) > 0) as Array<
      [Priority, number]
    >;
    this.mix = mix.length > 0 ? mix : [["normal", 1]];
    this.mixTotal = this.mix.reduce((s, [, w]) => s + w, 0);
  }

  get queueDepth(): number {
    return this.queue.depth;
  }

  /** Latencies of recent inferences (ms), oldest first. */
  get recentLatencyMs(): number[] {
    const n = Math.min(this.latencyCount, LATENCY_WINDOW);
    const out: number[] = [];
    for (let i = this.latencyCount - n; i < this.latencyCount; i++)
      out.push(this.latencies[i % LATENCY_WINDOW] ?? 0);
    return out;
  }

  start(): void {
    if (this.opts.source) {
      const periodMs = 1000 / this.opts.rateHz;
      this.ticker = setInterval(() => this.tick(), periodMs);
    }
    this.worker = this.work();
  }

  /** Queues a request from the local API; its `reply` gets the outcome. */
  submit(req: ServeRequest): void {
    const reply = req.reply;
    if (this.stopping) {
      reply?.({ ok: false, error: new ServeError("STOPPING", "the agent is shutting down") });
      return;
    }
    if (!this.opts.slot.value) {
      reply?.({ ok: false, error: new ServeError("NO_MODEL", "no model is deployed to this device yet") });
      return;
    }
    const pushed = this.queue.push(req, req.priority, {
      ...(req.signal ? { signal: req.signal } : {}),
      onEvict: () => {
        this.opts.stats.requestsDropped++;
        reply?.({
          ok: false,
          error: new ServeError("EVICTED", "dropped from a full queue to make room for critical work"),
        });
      },
      onCancel: () =>
        reply?.({ ok: false, error: new ServeError("CANCELLED", "the request was cancelled while queued") }),
    });
    if (!pushed.ok) {
      this.opts.stats.requestsDropped++;
      reply?.({ ok: false, error: new ServeError("QUEUE_FULL", pushed.reason) });
    }
  }

  /** Stops taking requests, finishes the in-flight one, and fails the queued rest (API callers get an error). */
  async stop(drainMs = 0): Promise<void> {
    this.stopping = true;
    if (this.ticker) clearInterval(this.ticker);
    this.ticker = null;
    if (drainMs > 0) {
      const until = Date.now() + drainMs;
      while (this.queue.depth > 0 && Date.now() < until) await new Promise((r) => setTimeout(r, 10));
    }
    for (const left of this.queue.close()) {
      left.reply?.({ ok: false, error: new ServeError("STOPPING", "the agent is shutting down") });
    }
    this.abort.abort();
    await this.worker;
  }

  private tick(): void {
    // Without a model there is nothing to serve; built-in requests are not queued up for later.
    if (!this.opts.slot.value) return;
    this.submit({ priority: this.pickPriority(), enqueuedAt: performance.now() });
  }

  private pickPriority(): Priority {
    if (this.mix.length === 1) return (this.mix[0] as [Priority, number])[0];
    let r = Math.random() * this.mixTotal;
    for (const [p, w] of this.mix) {
      r -= w;
      if (r <= 0) return p;
    }
    return (this.mix[this.mix.length - 1] as [Priority, number])[0];
  }

  private async work(): Promise<void> {
    // Runs until stop() closes the queue or aborts: stopping alone still lets the queue drain.
    for (;;) {
      let req: ServeRequest;
      try {
        req = await this.queue.take(this.abort.signal);
      } catch {
        return;
      }
      await this.serveOne(req);
    }
  }

  observe(deployment: ActiveDeployment, priority: Priority): ObservedState {
    const device = this.opts.device;
    return {
      ladder: deployment.ladder,
      priority,
      batteryPct: device.batteryPct,
      batteryTrendPctPerHour: device.batteryTrendPctPerHour,
      powerState: device.powerState,
      queueDepth: this.queue.depth,
      recentLatencyMsP50: this.p50,
      observedEnergyJ: deployment.observedEnergyJ,
      localMinutes: localMinutes(new Date()),
    };
  }

  private async serveOne(req: ServeRequest): Promise<void> {
    const { slot, meter, stats, log } = this.opts;
    const lease = slot.acquire();
    if (!lease) {
      req.reply?.({ ok: false, error: new ServeError("NO_MODEL", "no model is deployed to this device") });
      return;
    }
    const deployment = lease.value;
    try {
      const decision = deployment.policy.decide(this.observe(deployment, req.priority));
      const use = deployment.acquire(decision);
      if (!use) {
        req.reply?.({
          ok: false,
          error: new ServeError("NO_MODEL", "no variant of the deployment is loaded"),
        });
        return;
      }
      const { model } = use;
      const queueMs = performance.now() - req.enqueuedAt;
      let energyJ: number | null = null;
      try {
        const feeds = req.inputs ?? buildFeeds(model.feeds, this.opts.source as InputSource);
        const ts = Date.now();
        const m = await meter.measure(() => model.session.run(feeds));
        energyJ = m.ok ? m.energyJ : null;
        const reason = use.substitutedFor
          ? `${decision.reason}; ${use.substitutedFor} warming`
          : decision.reason;
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
        this.noteLatency(m.wallMs);
        this.opts.record({
          ts,
          kind: "inference",
          energyJ: m.energyJ,
          energySource: m.source,
          durationMs: m.wallMs,
          modelId: model.modelId,
          variant: model.variant.name,
          threads: model.threads,
          priority: req.priority,
          ok: m.ok,
          state: this.opts.device.current(this.queue.depth),
          decision: {
            reason,
            policy: deployment.policy.mode,
            policyVersion: deployment.policy.version,
            wanted: use.substitutedFor,
          },
        });
        if (req.reply) {
          if (m.ok) {
            req.reply({
              ok: true,
              result: {
                variant: model.variant.name,
                threads: model.threads,
                reason,
                substitutedFor: use.substitutedFor,
                latencyMs: m.wallMs,
                queueMs,
                energyJ: m.energyJ,
                energySource: m.source,
                outputs: m.result as Record<string, Tensor>,
              },
            });
          } else {
            req.reply({ ok: false, error: new ServeError("INFERENCE_FAILED", errorMessage(m.error)) });
          }
        }
      } finally {
        use.done(energyJ);
      }
    } catch (err) {
      stats.inferenceErrors++;
      log.error({ err: errorMessage(err) }, "inference request failed before running");
      req.reply?.({ ok: false, error: new ServeError("INFERENCE_FAILED", errorMessage(err)) });
    } finally {
      lease.release();
    }
  }

  private noteLatency(ms: number): void {
    this.latencies[this.latencyCount % LATENCY_WINDOW] = ms;
    this.latencyCount++;
    // The median is recomputed every 8 inferences: cheap, and fresh enough for an SLO check.
    if (this.latencyCount % 8 === 0 || this.latencyCount < 8) {
      const n = Math.min(this.latencyCount, LATENCY_WINDOW);
      const sorted = Array.from(this.latencies.subarray(0, n)).sort((a, b) => a - b);
      this.p50 = sorted[Math.floor((n - 1) / 2)] ?? null;
    }
  }
}

/** Minutes after midnight on this device's clock (its time zone), for the policy's quiet hours. */
function localMinutes(now: Date): number {
  return now.getHours() * 60 + now.getMinutes();
}
