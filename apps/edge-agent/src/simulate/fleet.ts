/**
 * `edgewatt-agent simulate`: N virtual devices in one process. Each has its own identity, NATS connection,
 * assignment, battery model, TelemetryPublisher and outbox (a SimDevice); the onnxruntime sessions (one per variant
 * and thread count), the model cache, the compute lane and the clock are shared. One ticker drives every device, so
 * per-device state stays a few kilobytes and 500 devices fit well under a gigabyte.
 */
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { getPowerProfile } from "@edgewatt/engine/energy";
import { createPolicy } from "@edgewatt/engine/scheduler";
import { deriveSeed, type PowerTraceId, type PriorityShares, VirtualDevice } from "@edgewatt/engine/sim";
import type { Logger } from "@edgewatt/nats";
import { decode, ZTelemetryBatch } from "@edgewatt/protocol";
import { ModelCache } from "../models/model-cache";
import { ensurePrivateDir } from "../state/paths";
import { acquireRunLock } from "../state/run-lock";
import { ComputeLane } from "./compute-lane";
import { describeLocalModel, SessionPool } from "./session-pool";
import { buildDeployment, type SimDeployment } from "./sim-deployment";
import { type FleetCounters, type FleetShared, newFleetCounters, SimDevice } from "./sim-device";
import { ensureSimIdentities, simDeviceDir, simRoot } from "./sim-identities";

export const COMPUTE_MODES = ["onnx", "none"] as const;
export type ComputeMode = (typeof COMPUTE_MODES)[number];

export interface FleetOptions {
  stateDir: string;
  devices: number;
  /** Power profiles, assigned round-robin by device index. */
  profiles: string[];
  /** Power traces, assigned round-robin by device index. */
  traces: PowerTraceId[];
  seed: number;
  /** Base requests per second per device. */
  rateHz: number;
  priorities: PriorityShares;
  timeScale: number;
  batteryWh?: number | undefined;
  batteryStartPct?: number | undefined;
  startHour?: number | undefined;
  /** `onnx`: real inference on the shared sessions; `none`: no computation (load tests; labelled). */
  compute: ComputeMode;
  /** `--compute none`: host ms a run stands for when the ladder has no latency figure. */
  nominalMs: number;
  /** A local model every device runs (instead of following its DEPLOY assignment). */
  model?: string | undefined;
  threads: number;
  maxThreads: number;
  flushMs: number;
  periodicMs: number;
  heartbeatMs: number;
  outboxMax: number;
  /** How often the fleet's clock steps every device. */
  tickMs: number;
  server?: string | undefined;
  token?: string | undefined;
  log: Logger;
  /** Human progress lines (stderr). */
  progress?: (line: string) => void;
}

export interface SimSummary {
  simulated: true;
  devices: number;
  compute: ComputeMode;
  model: string;
  profiles: Record<string, number>;
  traces: Record<string, number>;
  seed: number;
  rateHz: number;
  timeScale: number;
  durationS: number;
  identities: { enrolled: number; reused: number };
  counters: Omit<FleetCounters, "connected">;
  connectedAtEnd: number;
  /** Samples handed to the publishers this run (after validation). */
  samplesRecorded: number;
  /** Samples of this run the broker acknowledged (recorded minus what is left in the outboxes). */
  samplesSent: number;
  /** Samples of this run still in the outboxes at exit (sent by the next run). */
  samplesUnsent: number;
  invalidSamples: number;
  batchesPublished: number;
  duplicateBatches: number;
  publishFailures: number;
  outboxDepth: number;
  outboxDroppedBatches: number;
  lane: { runs: number; busyS: number; utilisation: number };
  sessions: SessionPool["stats"] | null;
  battery: { devices: number; meanStartPct: number | null; meanEndPct: number | null; flat: number };
  energyJ: { inference: number; periodic: number; source: "simulated" };
  rssBytes: number;
  peakRssBytes: number | null;
}

export interface RunningFleet {
  devices: readonly SimDevice[];
  counters: FleetCounters;
  /** Summary so far (the final one comes from stop). */
  summary(): SimSummary;
  /** Stops gracefully: finishes running requests, records the last periodic samples, flushes every outbox. */
  stop(drainMs: number): Promise<SimSummary>;
}

/** Peak resident set size (VmHWM) of this process; null off Linux. */
export function peakRssBytes(pid: number | "self" = "self"): number | null {
  try {
    const status = readFileSync(`/proc/${pid}/status`, "utf8");
    const kb = /^VmHWM:\s+(\d+)\s+kB/m.exec(status)?.[1];
    return kb ? Number(kb) * 1024 : null;
  } catch {
    return null;
  }
}

export async function startFleet(opts: FleetOptions): Promise<RunningFleet> {
  const { log } = opts;
  const profiles = opts.profiles.map((p) => getPowerProfile(p));
  const root = simRoot(opts.stateDir);
  await ensurePrivateDir(root);
  const lock = await acquireRunLock(root);
  try {
    const ids = await ensureSimIdentities({
      stateDir: opts.stateDir,
      devices: opts.devices,
      server: opts.server,
      token: opts.token,
      ...(opts.progress ? { progress: opts.progress } : {}),
    });
    const computeNone = opts.compute === "none";
    const pool = computeNone ? null : new SessionPool({ cache: new ModelCache(join(root, "cache")), log });
    let local: SimDeployment | null = null;
    if (opts.model) {
      const manifest = await describeLocalModel(opts.model);
      const built = createPolicy(
        { mode: "static", variant: manifest.name },
        {
          threads: opts.threads,
          maxThreads: opts.maxThreads,
        },
      );
      local = buildDeployment({
        assignment: null,
        variants: [manifest],
        files: new Map([[manifest.name, opts.model]]),
        computeNone,
        policy: { policy: built.policy, note: built.fallbackReason ?? null },
      });
      if (pool && !(await pool.warm(manifest, opts.model, opts.threads))) {
        throw new Error(`--model ${opts.model} cannot run: ${pool.failure(manifest.sha256, opts.threads)}`);
      }
    }
    const counters = newFleetCounters();
    const abort = new AbortController();
    const lane = new ComputeLane();
    const shared: FleetShared = {
      lane,
      pool,
      local,
      computeNone,
      nominalMs: opts.nominalMs,
      threads: opts.threads,
      maxThreads: opts.maxThreads,
      flushMs: opts.flushMs,
      periodicMs: opts.periodicMs,
      heartbeatMs: opts.heartbeatMs,
      outboxMax: opts.outboxMax,
      counters,
      log,
      signal: abort.signal,
    };
    const startWallMs = Date.now();
    const devices: SimDevice[] = [];
    for (let i = 0; i < opts.devices; i++) {
      const profile = profiles[i % profiles.length]!;
      const trace = opts.traces[i % opts.traces.length]!;
      const model = new VirtualDevice({
        profile,
        trace,
        seed: deriveSeed(opts.seed, i),
        rateHz: opts.rateHz,
        priorities: opts.priorities,
        timeScale: opts.timeScale,
        startWallMs,
        ...(opts.batteryWh !== undefined ? { capacityWh: opts.batteryWh } : {}),
        ...(opts.batteryStartPct !== undefined ? { initialPct: opts.batteryStartPct } : {}),
        ...(opts.startHour !== undefined ? { startHour: opts.startHour } : {}),
      });
      devices.push(
        await SimDevice.open({
          index: i,
          identity: ids.identities[i]!,
          dir: simDeviceDir(opts.stateDir, i),
          profileId: profile.id,
          model,
          shared,
          startWallMs,
        }),
      );
    }
    for (const d of devices) d.start();
    const ticker = setInterval(() => {
      const now = Date.now();
      for (const d of devices) d.tick(now);
    }, opts.tickMs);
    let lastProgress = { at: startWallMs, inferences: 0 };
    const progressTimer = opts.progress
      ? setInterval(() => {
          const now = Date.now();
          const rate = ((counters.inferences - lastProgress.inferences) * 1000) / (now - lastProgress.at);
          lastProgress = { at: now, inferences: counters.inferences };
          const samples = devices.reduce((s, d) => s + d.publisher.stats.samples, 0);
          const outbox = devices.reduce((s, d) => s + d.outbox.depth, 0);
          opts.progress?.(
            `sim: ${Math.round((now - startWallMs) / 1000)}s devices=${devices.length} connected=${counters.connected} ` +
              `inferences=${counters.inferences} (${rate.toFixed(0)}/s) samples=${samples} outbox=${outbox} ` +
              `dropped=${counters.requestsDropped} rss=${Math.round(process.memoryUsage().rss / 2 ** 20)}MiB`,
          );
        }, 10_000)
      : null;
    progressTimer?.unref();

    const tally = (labels: string[]) =>
      labels.reduce<Record<string, number>>((acc, v) => {
        acc[v] = (acc[v] ?? 0) + 1;
        return acc;
      }, {});
    let endedAt: number | null = null;
    let unsent = 0;
    const summary = (): SimSummary => {
      const samplesRecorded = devices.reduce((s, d) => s + d.publisher.stats.samples, 0);
      const withBattery = devices.filter((d) => d.batteryStartPct !== null);
      const mean = (xs: number[]) => (xs.length ? xs.reduce((a, b) => a + b, 0) / xs.length : null);
      const { connected, ...rest } = counters;
      return {
        simulated: true,
        devices: devices.length,
        compute: opts.compute,
        model: opts.model ?? "DEPLOY assignments",
        profiles: tally(devices.map((d) => d.profileId)),
        traces: tally(devices.map((d) => d.model.trace.id)),
        seed: opts.seed,
        rateHz: opts.rateHz,
        timeScale: opts.timeScale,
        durationS: ((endedAt ?? Date.now()) - startWallMs) / 1000,
        identities: { enrolled: ids.enrolled, reused: ids.reused },
        counters: rest,
        connectedAtEnd: connected,
        samplesRecorded,
        samplesSent: samplesRecorded - unsent,
        samplesUnsent: unsent,
        invalidSamples: devices.reduce((s, d) => s + d.publisher.stats.invalidSamples, 0),
        batchesPublished: devices.reduce((s, d) => s + d.publisher.stats.published, 0),
        duplicateBatches: devices.reduce((s, d) => s + d.publisher.stats.duplicates, 0),
        publishFailures: devices.reduce((s, d) => s + d.publisher.stats.publishFailures, 0),
        outboxDepth: devices.reduce((s, d) => s + d.outbox.depth, 0),
        outboxDroppedBatches: devices.reduce((s, d) => s + d.outbox.stats.dropped, 0),
        lane: {
          runs: lane.runs,
          busyS: lane.busyMs / 1000,
          utilisation: lane.busyMs / Math.max(1, (endedAt ?? Date.now()) - startWallMs),
        },
        sessions: pool ? { ...pool.stats } : null,
        battery: {
          devices: withBattery.length,
          meanStartPct: mean(withBattery.map((d) => d.batteryStartPct as number)),
          meanEndPct: mean(withBattery.map((d) => d.model.state().batteryPct as number)),
          flat: withBattery.filter((d) => !d.model.state().on).length,
        },
        energyJ: {
          inference: counters.inferenceEnergyJ,
          periodic: counters.periodicEnergyJ,
          source: "simulated",
        },
        rssBytes: process.memoryUsage().rss,
        peakRssBytes: peakRssBytes(),
      };
    };

    let stopped: Promise<SimSummary> | null = null;
    const stop = (drainMs: number) => {
      stopped ??= (async () => {
        clearInterval(ticker);
        if (progressTimer) clearInterval(progressTimer);
        await Promise.all(devices.map((d) => d.stopServing()));
        await lane.idle();
        const now = Date.now();
        endedAt = now;
        for (const d of devices) d.recordFinalPeriodic(now);
        await Promise.all(devices.map((d) => d.flush(drainMs)));
        abort.abort();
        await Promise.all(devices.map((d) => d.disconnect()));
        unsent = (await Promise.all(devices.map((d) => unsentSamples(d)))).reduce((a, b) => a + b, 0);
        await pool?.close();
        await lock.release();
        return summary();
      })();
      return stopped;
    };
    log.info(
      { devices: devices.length, compute: opts.compute, model: opts.model ?? null, enrolled: ids.enrolled },
      "fleet simulation started",
    );
    return { devices, counters, summary, stop };
  } catch (err) {
    await lock.release();
    throw err;
  }
}

/** Samples of this boot still in the device's outbox (the next run sends them). */
async function unsentSamples(d: SimDevice): Promise<number> {
  let n = 0;
  const prefix = `${d.identity.deviceId}:${d.boot}:`;
  for (const id of d.outbox.pendingIds()) {
    const entry = await d.outbox.read(id);
    if (!entry?.msgId.startsWith(prefix)) continue;
    const batch = decode(ZTelemetryBatch, entry.payload);
    if (batch.ok) n += batch.value.samples.length;
  }
  return n;
}
