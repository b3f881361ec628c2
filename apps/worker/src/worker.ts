/**
 * The worker in one call: ensures the control plane's streams and buckets exist, then runs the job,
 * telemetry and device-event consumers and the rollout canary guard until `stop()`. Used by main.ts, tests and the dev launcher.
 */
import type { Db } from "@edgewatt/db";
import { ensureControlPlane, type Logger, type NatsConnection } from "@edgewatt/nats";
import { type HeartbeatStats, startHeartbeatConsumer } from "./devices/heartbeats";
import { type JobStats, startJobWorkers } from "./jobs/optimize";
import { type RolloutStats, startRolloutEvaluator } from "./rollouts/evaluate-rollouts";
import { startTelemetryIngest, type TelemetryStats } from "./telemetry/ingest";

export interface WorkerStats {
  jobs: JobStats;
  telemetry: TelemetryStats;
  heartbeats: HeartbeatStats;
  rollouts: RolloutStats;
}

export interface StartWorkerOptions {
  db: Db;
  nc: NatsConnection;
  log: Logger;
  /** Optimization jobs run at once (default 1). */
  concurrency?: number;
  /** Delay before a message whose handler failed (e.g. the database was down) is redelivered. */
  retryDelayMs?: number;
  /** How often canary rollouts are judged (default 30 s). */
  rolloutIntervalMs?: number;
}

export interface RunningWorker {
  /** Live counters (read them any time). */
  stats: WorkerStats;
  /** Stops pulling messages, lets in-flight handlers finish, and returns. Does not close db or NATS. */
  stop(): Promise<void>;
}

export async function startWorker(opts: StartWorkerOptions): Promise<RunningWorker> {
  await ensureControlPlane(opts.nc);
  const base = { db: opts.db, nc: opts.nc, log: opts.log, retryDelayMs: opts.retryDelayMs };
  const jobs = await startJobWorkers({ ...base, concurrency: opts.concurrency ?? 1 });
  const telemetry = await startTelemetryIngest(base);
  const heartbeats = await startHeartbeatConsumer(base);
  const rollouts = startRolloutEvaluator({
    db: opts.db,
    nc: opts.nc,
    log: opts.log,
    ...(opts.rolloutIntervalMs ? { intervalMs: opts.rolloutIntervalMs } : {}),
  });
  opts.log.info({ concurrency: opts.concurrency ?? 1 }, "worker consumers started");
  let stopped: Promise<void> | null = null;
  return {
    stats: {
      jobs: jobs.stats,
      telemetry: telemetry.stats,
      heartbeats: heartbeats.stats,
      rollouts: rollouts.stats,
    },
    stop() {
      stopped ??= Promise.all([jobs.stop(), telemetry.stop(), heartbeats.stop(), rollouts.stop()]).then(() =>
        opts.log.info({}, "worker consumers stopped"),
      );
      return stopped;
    },
  };
}
