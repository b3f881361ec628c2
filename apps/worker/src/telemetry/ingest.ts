/**
 * Telemetry ingestion: TELEMETRY → telemetry_samples, exactly once. JetStream deduplicates by Msg-Id within
 * its window; the unique (device, boot, seq) key catches everything else. A batch is acked only after its
 * insert committed; a database error naks it for redelivery, so nothing measured is lost.
 */
import { type Db, insertTelemetryBatch } from "@edgewatt/db";
import { type Logger, type NatsConnection, runConsumer } from "@edgewatt/nats";
import { CONSUMERS, STREAMS, ZTelemetryBatch } from "@edgewatt/protocol";
import { checkDeviceIdentity } from "../devices/identity";
import { childLogger } from "../log";
import { superviseConsumer } from "../supervise";

export interface TelemetryStats {
  /** Batches committed to Postgres (including those whose samples were all duplicates). */
  readonly batches: number;
  readonly samplesInserted: number;
  /** Samples already stored (a redelivered or re-sent batch). */
  readonly duplicates: number;
  /** Malformed, schema-violating, or published for another device; terminated, never retried. */
  readonly rejected: number;
  /** Database errors; those batches are redelivered. */
  readonly failed: number;
}

export interface TelemetryIngest {
  stats: TelemetryStats;
  stop(): Promise<void>;
}

export async function startTelemetryIngest(opts: {
  db: Db;
  nc: NatsConnection;
  log: Logger;
  retryDelayMs?: number;
}): Promise<TelemetryIngest> {
  const log = childLogger(opts.log, { consumer: CONSUMERS.telemetryIngest });
  const counts = { batches: 0, samplesInserted: 0, duplicates: 0, identityRejected: 0 };

  const consumer = await superviseConsumer(
    CONSUMERS.telemetryIngest,
    () =>
      runConsumer({
        nc: opts.nc,
        stream: STREAMS.telemetry,
        durable: CONSUMERS.telemetryIngest,
        def: ZTelemetryBatch,
        log,
        retryDelayMs: opts.retryDelayMs ?? 2000,
        async handle(batch, msg) {
          const identity = checkDeviceIdentity(msg.subject, batch);
          if (!identity.ok) {
            counts.identityRejected++;
            log.warn(
              { subject: msg.subject, seq: msg.seq, orgId: batch.orgId, deviceId: batch.deviceId },
              `rejected telemetry batch: ${identity.reason}`,
            );
            msg.term(identity.reason);
            return;
          }
          // Throws on a database error → runConsumer naks and the batch comes back later.
          const result = await insertTelemetryBatch(opts.db, batch);
          counts.batches++;
          counts.samplesInserted += result.inserted;
          counts.duplicates += result.duplicates;
          if (result.duplicates > 0) {
            log.info(
              {
                deviceId: batch.deviceId,
                boot: batch.boot,
                inserted: result.inserted,
                duplicates: result.duplicates,
              },
              "telemetry batch contained samples already stored",
            );
          }
        },
      }),
    log,
  );

  const stats: TelemetryStats = {
    get batches() {
      return counts.batches;
    },
    get samplesInserted() {
      return counts.samplesInserted;
    },
    get duplicates() {
      return counts.duplicates;
    },
    get rejected() {
      return counts.identityRejected + consumer.stats.invalid;
    },
    get failed() {
      return consumer.stats.failed;
    },
  };
  return { stats, stop: () => consumer.stop() };
}
