/**
 * Batches telemetry samples (every `flushMs` or `maxBatch` samples), writes each batch to the outbox, and drains
 * the outbox to JetStream in order. A batch leaves the outbox only after its PubAck; a failed publish leaves it in
 * place and the drain retries with backoff (immediately after a reconnect). Nothing here ever throws into the
 * inference loop.
 */
import type { Logger } from "@edgewatt/nats";
import {
  encode,
  type TelemetrySample,
  telemetryMsgId,
  ZTelemetryBatch,
  ZTelemetrySample,
} from "@edgewatt/protocol";
import { errorMessage } from "../errors";
import type { Outbox, OutboxEntry } from "./outbox";

/** Publishes one outbox entry and resolves once the broker acknowledged it (`duplicate`: it had it already). */
export type PublishFn = (entry: OutboxEntry) => Promise<{ duplicate: boolean }>;

export type SampleInput = Omit<TelemetrySample, "seq">;

export interface TelemetryPublisherOptions {
  outbox: Outbox;
  orgId: string;
  deviceId: string;
  boot: string;
  subject: string;
  log: Logger;
  flushMs?: number;
  maxBatch?: number;
  retryMinMs?: number;
  retryMaxMs?: number;
}

export interface TelemetryStats {
  samples: number;
  invalidSamples: number;
  batches: number;
  published: number;
  /** PubAcks saying the broker had the batch already (a replay after a lost ack). */
  duplicates: number;
  publishFailures: number;
}

export class TelemetryPublisher {
  readonly stats: TelemetryStats = {
    samples: 0,
    invalidSamples: 0,
    batches: 0,
    published: 0,
    duplicates: 0,
    publishFailures: 0,
  };
  private seq = 0;
  private pending: TelemetrySample[] = [];
  private publish: PublishFn | null = null;
  private draining: Promise<void> | null = null;
  private drainAgain = false;
  private flushing: Promise<void> = Promise.resolve();
  private flushTimer: NodeJS.Timeout | null = null;
  private retryTimer: NodeJS.Timeout | null = null;
  private retryDelay: number;
  private readonly flushMs: number;
  private readonly maxBatch: number;
  private readonly retryMinMs: number;
  private readonly retryMaxMs: number;

  constructor(private readonly opts: TelemetryPublisherOptions) {
    this.flushMs = opts.flushMs ?? 1000;
    this.maxBatch = opts.maxBatch ?? 100;
    this.retryMinMs = opts.retryMinMs ?? 1000;
    this.retryMaxMs = opts.retryMaxMs ?? 30_000;
    this.retryDelay = this.retryMinMs;
  }

  start(): void {
    this.flushTimer ??= setInterval(() => void this.flush(), this.flushMs);
    this.flushTimer.unref();
  }

  /** Sets (or clears, while disconnected) the broker; setting one replays whatever the outbox holds. */
  setPublisher(publish: PublishFn | null): void {
    this.publish = publish;
    if (publish) this.kick(true);
  }

  /** Adds one sample (its seq is assigned here); an invalid sample is counted, logged and dropped. */
  record(sample: SampleInput): void {
    const full = { ...sample, seq: this.seq };
    const parsed = ZTelemetrySample.safeParse(full);
    if (!parsed.success) {
      this.stats.invalidSamples++;
      this.opts.log.warn({ issues: parsed.error.issues.slice(0, 3) }, "telemetry sample is invalid; dropped");
      return;
    }
    this.seq++;
    this.stats.samples++;
    this.pending.push(parsed.data);
    if (this.pending.length >= this.maxBatch) void this.flush();
  }

  /** Writes the pending samples to the outbox as one batch, then starts a drain. */
  flush(): Promise<void> {
    this.flushing = this.flushing.then(() => this.flushOnce());
    return this.flushing;
  }

  private async flushOnce(): Promise<void> {
    while (this.pending.length > 0) {
      const samples = this.pending.splice(0, this.maxBatch);
      const first = samples[0];
      if (!first) return;
      try {
        const payload = encode(ZTelemetryBatch, {
          orgId: this.opts.orgId,
          deviceId: this.opts.deviceId,
          boot: this.opts.boot,
          simulated: false,
          samples,
        });
        await this.opts.outbox.append({
          subject: this.opts.subject,
          msgId: telemetryMsgId(this.opts.deviceId, this.opts.boot, first.seq),
          payload,
        });
        this.stats.batches++;
      } catch (err) {
        // The disk is the one place a batch could be lost; say so loudly but keep the loop alive.
        this.opts.log.error(
          { err: errorMessage(err), samples: samples.length },
          "cannot write telemetry batch to the outbox",
        );
      }
    }
    this.kick(false);
  }

  /** Starts a drain unless one is running (then it runs once more after it). */
  private kick(resetBackoff: boolean): void {
    if (resetBackoff) {
      this.retryDelay = this.retryMinMs;
      if (this.retryTimer) {
        clearTimeout(this.retryTimer);
        this.retryTimer = null;
      }
    }
    if (this.draining) {
      this.drainAgain = true;
      return;
    }
    this.draining = this.drainLoop().finally(() => {
      this.draining = null;
    });
  }

  private async drainLoop(): Promise<void> {
    do {
      this.drainAgain = false;
      const ok = await this.drainOnce();
      if (!ok) {
        this.scheduleRetry();
        return;
      }
    } while (this.drainAgain);
  }

  /** Publishes outbox entries oldest first; false when one failed (it stays, and so does everything after it). */
  private async drainOnce(): Promise<boolean> {
    if (this.retryTimer) return true;
    for (const id of this.opts.outbox.pendingIds()) {
      const publish = this.publish;
      if (!publish) return true;
      let entry: OutboxEntry | null;
      try {
        entry = await this.opts.outbox.read(id);
      } catch (err) {
        this.opts.log.error({ err: errorMessage(err), id }, "cannot read outbox entry");
        return false;
      }
      if (!entry) continue;
      let duplicate: boolean;
      try {
        ({ duplicate } = await publish(entry));
      } catch (err) {
        this.stats.publishFailures++;
        this.opts.log.warn(
          { err: errorMessage(err), msgId: entry.msgId, outboxDepth: this.opts.outbox.depth },
          "telemetry publish failed; the batch stays in the outbox",
        );
        return false;
      }
      this.stats.published++;
      if (duplicate) this.stats.duplicates++;
      try {
        await this.opts.outbox.ack(id);
      } catch (err) {
        this.opts.log.error(
          { err: errorMessage(err), id },
          "cannot remove an acknowledged batch from the outbox",
        );
        return false;
      }
    }
    this.retryDelay = this.retryMinMs;
    return true;
  }

  private scheduleRetry(): void {
    if (this.retryTimer) return;
    const delay = this.retryDelay;
    this.retryDelay = Math.min(this.retryMaxMs, this.retryDelay * 2);
    this.retryTimer = setTimeout(() => {
      this.retryTimer = null;
      this.kick(false);
    }, delay);
    this.retryTimer.unref();
  }

  /**
   * Flushes pending samples and tries to empty the outbox within `timeoutMs`; whatever is left stays on disk for
   * the next start.
   */
  async stop(timeoutMs: number): Promise<void> {
    if (this.flushTimer) clearInterval(this.flushTimer);
    this.flushTimer = null;
    await this.flush();
    if (this.retryTimer) {
      clearTimeout(this.retryTimer);
      this.retryTimer = null;
    }
    const deadline = new Promise<void>((resolve) => setTimeout(resolve, timeoutMs).unref());
    const drained = (async () => {
      while (this.draining) await this.draining;
      if (this.publish && this.opts.outbox.depth > 0) {
        this.kick(true);
        while (this.draining) await this.draining;
      }
    })();
    await Promise.race([drained, deadline]);
    if (this.retryTimer) clearTimeout(this.retryTimer);
    this.retryTimer = null;
    this.publish = null;
  }
}
