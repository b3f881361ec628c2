/**
 * The one place the agent's benchmark reads the environment.
 * EDGEWATT_SHARED_DIR: reference models (default `../shared` beside the repository).
 * Overhead: EDGEWATT_BENCH_OVERHEAD_BLOCKS (alternating block pairs, default 30), EDGEWATT_BENCH_OVERHEAD_BLOCK
 * (inferences per block, default 200), EDGEWATT_BENCH_OVERHEAD_WARMUP (default 200).
 * Fleet: EDGEWATT_BENCH_SIM_DEVICES (default 500), EDGEWATT_BENCH_SIM_SECONDS (default 60),
 * EDGEWATT_BENCH_SIM_RATE (requests per second per device, default 1), EDGEWATT_BENCH_SIM_PROFILES and
 * EDGEWATT_BENCH_SIM_TRACES (comma lists, round-robin), EDGEWATT_BENCH_SIM_TIME_SCALE (default 60),
 * EDGEWATT_BENCH_SKIP (comma list of `overhead`, `fleet`).
 */
import { resolve } from "node:path";

export interface AgentBenchEnv {
  sharedDir: string;
  overhead: { blocks: number; blockSize: number; warmup: number };
  fleet: {
    devices: number;
    seconds: number;
    rateHz: number;
    profiles: string;
    traces: string;
    timeScale: number;
  };
  skip: Set<string>;
}

function positive(source: Record<string, string | undefined>, name: string, fallback: number): number {
  const raw = source[name];
  if (raw === undefined || raw === "") return fallback;
  const n = Number(raw);
  if (!Number.isFinite(n) || n <= 0) throw new Error(`${name} must be a positive number, got "${raw}"`);
  return n;
}

export function readAgentBenchEnv(source: Record<string, string | undefined> = process.env): AgentBenchEnv {
  return {
    sharedDir: source.EDGEWATT_SHARED_DIR ?? resolve(import.meta.dirname, "../../../../shared"),
    overhead: {
      blocks: Math.round(positive(source, "EDGEWATT_BENCH_OVERHEAD_BLOCKS", 30)),
      blockSize: Math.round(positive(source, "EDGEWATT_BENCH_OVERHEAD_BLOCK", 200)),
      warmup: Math.round(positive(source, "EDGEWATT_BENCH_OVERHEAD_WARMUP", 200)),
    },
    fleet: {
      devices: Math.round(positive(source, "EDGEWATT_BENCH_SIM_DEVICES", 500)),
      seconds: positive(source, "EDGEWATT_BENCH_SIM_SECONDS", 60),
      rateHz: positive(source, "EDGEWATT_BENCH_SIM_RATE", 1),
      profiles:
        source.EDGEWATT_BENCH_SIM_PROFILES || "raspberry-pi-4,raspberry-pi-5,jetson-nano,jetson-orin-nano",
      traces: source.EDGEWATT_BENCH_SIM_TRACES || "steady,battery-drain,diurnal-solar",
      timeScale: positive(source, "EDGEWATT_BENCH_SIM_TIME_SCALE", 60),
    },
    skip: new Set(
      (source.EDGEWATT_BENCH_SKIP ?? "")
        .split(",")
        .map((s) => s.trim())
        .filter(Boolean),
    ),
  };
}
