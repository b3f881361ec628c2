/**
 * Device heartbeats: EVENTS (`ew.*.dev.*.evt.heartbeat`) → devices.last_seen_at / last_heartbeat / status.
 * Same identity rule as telemetry: the subject's org and device must be the ones the heartbeat names.
 */
import { type Db, recordHeartbeat } from "@edgewatt/db";
import { type Logger, type NatsConnection, runConsumer } from "@edgewatt/nats";
import { STREAMS, subjects, ZHeartbeat } from "@edgewatt/protocol";
import { childLogger } from "../log";
import { superviseConsumer } from "../supervise";
import { checkDeviceIdentity } from "./identity";

export const DEVICE_EVENTS_CONSUMER = "device-events";

/** Every device's heartbeat subject. */
export function allHeartbeatsFilter(): string {
  return subjects.allHeartbeats();
}

export interface HeartbeatStats {
  readonly recorded: number;
  /** Heartbeats for an unknown or revoked device, or older than the stored one. Acked, not retried. */
  readonly ignored: number;
  /** Malformed, schema-violating, or published for another device. */
  readonly rejected: number;
  readonly failed: number;
}

export interface HeartbeatConsumer {
  stats: HeartbeatStats;
  stop(): Promise<void>;
}

export async function startHeartbeatConsumer(opts: {
  db: Db;
  nc: NatsConnection;
  log: Logger;
  retryDelayMs?: number;
}): Promise<HeartbeatConsumer> {
  const log = childLogger(opts.log, { consumer: DEVICE_EVENTS_CONSUMER });
  const counts = { recorded: 0, ignored: 0, identityRejected: 0 };

  const consumer = await superviseConsumer(
    DEVICE_EVENTS_CONSUMER,
    () =>
      runConsumer({
        nc: opts.nc,
        stream: STREAMS.events,
        durable: DEVICE_EVENTS_CONSUMER,
        def: ZHeartbeat,
        log,
        retryDelayMs: opts.retryDelayMs ?? 2000,
        config: { filter_subject: allHeartbeatsFilter() },
        async handle(heartbeat, msg) {
          const identity = checkDeviceIdentity(msg.subject, heartbeat);
          if (!identity.ok) {
            counts.identityRejected++;
            log.warn({ subject: msg.subject, seq: msg.seq }, `rejected heartbeat: ${identity.reason}`);
            msg.term(identity.reason);
            return;
          }
          // Seen = when JetStream stored it (server clock; unchanged on redelivery), so a redelivered or
          // out-of-order heartbeat never moves last_seen_at backwards.
          const seenAt = new Date(Math.floor(msg.info.timestampNanos / 1e6));
          const changed = await recordHeartbeat(opts.db, heartbeat.deviceId, heartbeat, seenAt);
          if (changed) {
            counts.recorded++;
            return;
          }
          counts.ignored++;
          log.info(
            { orgId: heartbeat.orgId, deviceId: heartbeat.deviceId, seq: msg.seq },
            "heartbeat ignored: unknown or revoked device, or older than the one stored",
          );
        },
      }),
    log,
  );

  const stats: HeartbeatStats = {
    get recorded() {
      return counts.recorded;
    },
    get ignored() {
      return counts.ignored;
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
