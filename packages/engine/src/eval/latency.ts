/**
 * Latency, CPU time and memory of model runs in a Runtime. Wall time per call with performance.now();
 * CPU time from process.cpuUsage() deltas (the whole process: includes the runtime's native threads);
 * memory as process RSS deltas. Node-only, like the rest of the engine.
 */
import type { Runtime, RuntimeSession, RuntimeTensor } from "../types";
import { quantile } from "./metrics";

export interface LatencyStats {
  batchSize: number;
  runs: number;
  intraOpThreads?: number;
  p50Ms: number;
  p90Ms: number;
  p95Ms: number;
  meanMs: number;
  /** Process CPU time (user + system) per timed run, ms. */
  cpuMsPerRun: number;
}

export interface MeasureLatencyOptions {
  runtime: Runtime;
  bytes: Uint8Array;
  feeds: Record<string, RuntimeTensor>;
  warmupRuns?: number;
  runs?: number;
  intraOpThreads?: number;
}

function summarize(times: number[], cpuMicros: number, batchSize: number, threads?: number): LatencyStats {
  const runs = times.length;
  return {
    batchSize,
    runs,
    ...(threads ? { intraOpThreads: threads } : {}),
    p50Ms: quantile(times, 0.5),
    p90Ms: quantile(times, 0.9),
    p95Ms: quantile(times, 0.95),
    meanMs: runs ? times.reduce((a, b) => a + b, 0) / runs : Number.NaN,
    cpuMsPerRun: runs ? cpuMicros / 1000 / runs : Number.NaN,
  };
}

const batchOf = (feeds: Record<string, RuntimeTensor>) => Object.values(feeds)[0]?.dims[0] ?? 1;

/** Wall-clock latency of `runs` single calls after `warmupRuns`, in a fresh session. */
export async function measureLatency(options: MeasureLatencyOptions): Promise<LatencyStats> {
  const result = await measureLatencySideBySide({
    runtime: options.runtime,
    models: [{ key: "model", bytes: options.bytes }],
    feeds: options.feeds,
    runs: options.runs ?? 100,
    warmupRuns: options.warmupRuns ?? 10,
    ...(options.intraOpThreads ? { intraOpThreads: options.intraOpThreads } : {}),
  });
  return result.get("model") as LatencyStats;
}

export interface SideBySideStats extends LatencyStats {
  /**
   * Process RSS high-water after creating the session and after each warm-up run, minus RSS just before
   * creating it (bytes, ≥ 0). Other models' sessions stay loaded; memory the allocator reuses is not seen.
   */
  rssDeltaBytes: number;
}

export interface SideBySideOptions {
  runtime: Runtime;
  models: readonly { key: string; bytes: Uint8Array }[];
  feeds: Record<string, RuntimeTensor>;
  /** Timed runs per model. */
  runs: number;
  warmupRuns?: number;
  intraOpThreads?: number;
  /** Runs are split into this many rounds, each visiting every model in turn (default min(runs, 10)). */
  rounds?: number;
}

/**
 * Measures several models side by side: all sessions are loaded, then the timed runs are interleaved in
 * rounds (each round visits the models in a rotated order), so a change in machine load affects every
 * model alike and ratios between them stay meaningful on a shared, noisy machine.
 */
export async function measureLatencySideBySide(
  options: SideBySideOptions,
): Promise<Map<string, SideBySideStats>> {
  const { runtime, models, feeds, runs } = options;
  const threads = options.intraOpThreads;
  const sessions: RuntimeSession[] = [];
  const rssDelta: number[] = [];
  try {
    for (const model of models) {
      const before = process.memoryUsage.rss();
      const session = await runtime.createSession(model.bytes, threads ? { intraOpThreads: threads } : {});
      sessions.push(session);
      let peak = process.memoryUsage.rss();
      for (let i = 0; i < (options.warmupRuns ?? 10); i++) {
        await session.run(feeds);
        peak = Math.max(peak, process.memoryUsage.rss());
      }
      rssDelta.push(Math.max(0, peak - before));
    }
    const times: number[][] = models.map(() => []);
    const cpuMicros = models.map(() => 0);
    const rounds = Math.max(1, Math.min(runs, options.rounds ?? 10));
    for (let round = 0; round < rounds; round++) {
      const count = Math.floor(((round + 1) * runs) / rounds) - Math.floor((round * runs) / rounds);
      for (let j = 0; j < models.length; j++) {
        const m = (round + j) % models.length;
        const session = sessions[m] as RuntimeSession;
        const cpu0 = process.cpuUsage();
        for (let i = 0; i < count; i++) {
          const start = performance.now();
          await session.run(feeds);
          (times[m] as number[]).push(performance.now() - start);
        }
        const cpu = process.cpuUsage(cpu0);
        cpuMicros[m] = (cpuMicros[m] as number) + cpu.user + cpu.system;
      }
    }
    const result = new Map<string, SideBySideStats>();
    models.forEach((model, m) => {
      result.set(model.key, {
        ...summarize(times[m] as number[], cpuMicros[m] as number, batchOf(feeds), threads),
        rssDeltaBytes: rssDelta[m] as number,
      });
    });
    return result;
  } finally {
    for (const session of sessions) await session.release();
  }
}
