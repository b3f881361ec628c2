/**
 * Batches telemetry samples (every `flushMs` or `maxBatch` samples), hands each batch to the outbox, and drains
 * the outbox to JetStream in order. A batch leaves the outbox only after its PubAck; a failed publish leaves it in
 * place and the drain retries with backoff (immediately after a reconnect). When the outbox's disk refuses writes
 * the outbox holds batches in memory and this logs one error per episode (and one more if it starts dropping).
 * Nothing here ever throws into the inference loop.
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
  /** Marks every batch as coming from a simulated device (default false). */
  simulated?: boolean;
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
  /** The outbox disk problem being reported (one error when it starts, one info line when it ends). */
  private episode: {
    since: number;
    droppedBefore: number;
    movedBefore: number;
    reportedDrops: boolean;
  } | null = null;

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
    const full: TelemetrySample = { ...sample, seq: this.seq };
    // The numbers are what a meter or a clock can get wrong; they are checked on every sample (the per-request
    // path) by hand. The full schema check of anything else runs only when such a check fails, to say why.
    if (!plausible(full)) {
      const parsed = ZTelemetrySample.safeParse(full);
      const issues = parsed.success
        ? [{ message: "a number is out of range (negative or not finite)" }]
        : parsed.error.issues.slice(0, 3);
      this.stats.invalidSamples++;
      this.opts.log.warn({ issues }, "telemetry sample is invalid; dropped");
      return;
    }
    this.seq++;
    this.stats.samples++;
    this.pending.push(full);
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
          simulated: this.opts.simulated ?? false,
          samples,
        });
        await this.opts.outbox.append({
          subject: this.opts.subject,
          msgId: telemetryMsgId(this.opts.deviceId, this.opts.boot, first.seq),
          payload,
        });
        this.stats.batches++;
      } catch (err) {
        // The outbox holds what the disk refuses, so this is a bug, not a full disk; keep the loop alive.
        this.opts.log.error(
          { err: errorMessage(err), samples: samples.length },
          "cannot queue telemetry batch in the outbox; its samples are lost",
        );
      }
    }
    // Nothing new to append, but held batches still want the disk (the outbox paces the retries).
    if (this.opts.outbox.stats.heldInMemory > 0) await this.opts.outbox.persistHeld();
    this.watchOutbox();
    this.kick(false);
  }

  /** Logs the start and end of an outbox disk problem once each, and the first drop during one. */
  private watchOutbox(): void {
    const outbox = this.opts.outbox;
    const problem = outbox.problem;
    const held = outbox.stats.heldInMemory;
    const plural = (n: number) => `${n} batch${n === 1 ? "" : "es"}`;
    if (problem && !this.episode) {
      this.episode = {
        since: problem.since,
        droppedBefore: outbox.stats.dropped,
        movedBefore: outbox.movedToDisk,
        reportedDrops: false,
      };
      this.opts.log.error(
        {
          dir: outbox.dir,
          code: problem.code,
          err: problem.message,
          heldInMemory: held,
          maxMemoryEntries: outbox.maxMemoryEntries,
          maxMemoryBytes: outbox.maxMemoryBytes,
        },
        `${problem.summary}; ${plural(held)} held in memory until then (published from memory while the broker ` +
          `is reachable; past ${plural(outbox.maxMemoryEntries)} or ${Math.round(outbox.maxMemoryBytes / 1048576)} MiB ` +
          "the oldest are dropped; held batches do not survive a restart)",
      );
    }
    const episode = this.episode;
    if (!episode) return;
    const dropped = outbox.stats.dropped - episode.droppedBefore;
    if (problem && dropped > 0 && !episode.reportedDrops) {
      episode.reportedDrops = true;
      this.opts.log.error(
        { dir: outbox.dir, code: problem.code, dropped, heldInMemory: held },
        `telemetry is being lost: the outbox at ${outbox.dir} still refuses writes and the in-memory queue is full, ` +
          `so the oldest batches are dropped — ${problem.summary}`,
      );
    }
    if (!problem) {
      this.episode = null;
      this.opts.log.info(
        {
          dir: outbox.dir,
          movedToDisk: outbox.movedToDisk - episode.movedBefore,
          dropped,
          lastedMs: Date.now() - episode.since,
        },
        `outbox at ${outbox.dir} accepts writes again; ${plural(outbox.movedToDisk - episode.movedBefore)} moved from memory to disk`,
      );
    }
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
      this.watchOutbox();
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
    // A last try for what the disk refused; what still fails dies with the process.
    const outbox = this.opts.outbox;
    if (outbox.stats.heldInMemory > 0) await outbox.persistHeld({ force: true });
    this.watchOutbox();
    const held = outbox.stats.heldInMemory;
    if (held > 0) {
      this.opts.log.error(
        { dir: outbox.dir, heldInMemory: held, code: outbox.problem?.code ?? null },
        `${held} telemetry batch${held === 1 ? "" : "es"} held in memory could not be written to ${outbox.dir} and ` +
          `${held === 1 ? "is" : "are"} lost with this process — ${outbox.problem?.summary ?? "the disk refused them"}`,
      );
    }
  }
}

const finiteNonNegative = (v: number) => Number.isFinite(v) && v >= 0;

/** What ZTelemetrySample demands of a sample's numbers (the rest is guaranteed by the types that built it). */
function plausible(s: TelemetrySample): boolean {
  const st = s.state;
  return (
    Number.isInteger(s.seq) &&
    Number.isFinite(s.ts) &&
    finiteNonNegative(s.energyJ) &&
    finiteNonNegative(s.durationMs) &&
    (s.threads === null || (Number.isInteger(s.threads) && s.threads > 0)) &&
    (st.batteryPct === null || (st.batteryPct >= 0 && st.batteryPct <= 100)) &&
    (st.cpuPct === null || finiteNonNegative(st.cpuPct)) &&
    (st.memBytes === null || (Number.isInteger(st.memBytes) && st.memBytes >= 0)) &&
    Number.isInteger(st.queueDepth) &&
    st.queueDepth >= 0
  );
}
