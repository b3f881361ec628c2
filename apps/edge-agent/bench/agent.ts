/**
 * pnpm bench:agent — two measurements of the edge agent, side by side in one run. Progress goes to stderr; the LAST
 * line on stdout is one JSON object with every figure and `targets` (each with its limit, the measured value and
 * `met`).
 *
 * 1. Overhead: cifar10-resnet14 (../shared/models), batch 1, one intra-op thread — a bare onnxruntime-node loop
 *    against the agent's own per-inference path (bench/overhead.ts), in alternating blocks; p50 ratio.
 * 2. Fleet: a fresh nats-server, a fresh Postgres database and the real worker; N devices in the database;
 *    `edgewatt-agent simulate` in a child process for a fixed time (its peak RSS read from /proc), stopped
 *    gracefully; samples sent (simulator's summary) against samples stored (telemetry_samples).
 *
 * Environment: see bench/env.ts (e.g. EDGEWATT_BENCH_SIM_DEVICES=50 EDGEWATT_BENCH_SIM_SECONDS=15 for a quick run).
 */
import { readFileSync } from "node:fs";
import { arch, cpus, platform, release, totalmem } from "node:os";
import { join } from "node:path";
import type { Logger } from "@edgewatt/nats";
import { readAgentBenchEnv } from "./env";
import { type FleetBenchResult, runFleetBench } from "./fleet";
import { measureOverhead, type OverheadResult } from "./overhead";

const GIB = 1024 ** 3;
const env = readAgentBenchEnv();
const modelPath = join(env.sharedDir, "models", "cifar10-resnet14.onnx");
const log = (line: string) => process.stderr.write(`${line}\n`);

/** Warnings and errors of the agent path and the worker on stderr (the first few, shortened), all counted. */
function benchLogger(component: string): Logger & { warnings: number; errors: number } {
  const shown = 10;
  const line = (level: string, obj: Record<string, unknown>, msg: string) => {
    const n = out.warnings + out.errors;
    if (n <= shown) log(`  [${component}] ${level} ${msg} ${JSON.stringify(obj).slice(0, 300)}`);
    if (n === shown) log(`  [${component}] further warnings and errors are only counted`);
  };
  const out = {
    warnings: 0,
    errors: 0,
    info: () => undefined,
    warn: (obj: Record<string, unknown>, msg: string) => {
      out.warnings++;
      line("warn", obj, msg);
    },
    error: (obj: Record<string, unknown>, msg: string) => {
      out.errors++;
      line("error", obj, msg);
    },
  };
  return out;
}

function ortVersion(): string {
  try {
    const pkg = JSON.parse(
      readFileSync(
        join(import.meta.dirname, "..", "node_modules", "onnxruntime-node", "package.json"),
        "utf8",
      ),
    ) as { version?: string };
    return pkg.version ?? "unknown";
  } catch {
    return "unknown";
  }
}

const machine = {
  cpu: cpus()[0]?.model ?? "unknown",
  cores: cpus().length,
  memBytes: totalmem(),
  platform: `${platform()} ${release()} ${arch()}`,
  node: process.version,
  onnxruntimeNode: ortVersion(),
};
log(
  `bench:agent on ${machine.cpu} × ${machine.cores}, ${(machine.memBytes / GIB).toFixed(1)} GiB, node ${machine.node}`,
);

let overhead: OverheadResult | null = null;
if (!env.skip.has("overhead")) {
  log(
    `overhead: ${env.overhead.blocks} alternating block pairs × ${env.overhead.blockSize} inferences of ${modelPath}`,
  );
  const agentLog = benchLogger("agent");
  overhead = await measureOverhead({
    modelPath,
    blocks: env.overhead.blocks,
    blockSize: env.overhead.blockSize,
    warmup: env.overhead.warmup,
    profile: "generic-x86",
    log: agentLog,
  });
  log(
    `overhead: bare p50 ${overhead.bare.p50Us.toFixed(0)} µs, agent p50 ${overhead.agent.p50Us.toFixed(0)} µs → ` +
      `ratio ${overhead.overheadP50Ratio.toFixed(4)}`,
  );
}

let fleet: FleetBenchResult | null = null;
let workerLog: ReturnType<typeof benchLogger> | null = null;
if (!env.skip.has("fleet")) {
  log(
    `fleet: ${env.fleet.devices} simulated devices for ${env.fleet.seconds} s at ${env.fleet.rateHz} Hz each`,
  );
  workerLog = benchLogger("worker");
  fleet = await runFleetBench({ ...env.fleet, modelPath, log, workerLog });
  log(
    `fleet: peak RSS ${(fleet.simRssBytes / 2 ** 20).toFixed(0)} MiB, samples sent ${fleet.samplesSent}, ` +
      `stored ${fleet.samplesStored} (caught up ${fleet.ingestCatchUpS.toFixed(1)} s after exit)`,
  );
}

const target = (limit: string, measured: number | null, met: boolean | null) => ({ limit, measured, met });
const result = {
  bench: "agent",
  overheadP50Ratio: overhead?.overheadP50Ratio ?? null,
  simDevices: fleet?.simDevices ?? null,
  simRssBytes: fleet?.simRssBytes ?? null,
  samplesSent: fleet?.samplesSent ?? null,
  samplesStored: fleet?.samplesStored ?? null,
  overhead: overhead && {
    model: "cifar10-resnet14",
    batch: overhead.batch,
    intraOpThreads: overhead.intraOpThreads,
    bareP50Us: overhead.bare.p50Us,
    bareP95Us: overhead.bare.p95Us,
    agentP50Us: overhead.agent.p50Us,
    agentP95Us: overhead.agent.p95Us,
    overheadP95Ratio: overhead.overheadP95Ratio,
    inferences: overhead.inferencesPerSide * 2,
    inferencesPerSide: overhead.inferencesPerSide,
    blocks: overhead.blocks,
    blockSize: overhead.blockSize,
    agentPath: overhead.agentPath,
  },
  fleet: fleet && {
    durationS: fleet.simSeconds,
    setupS: fleet.setupS,
    ingestCatchUpS: fleet.ingestCatchUpS,
    worker: { ...fleet.worker, logWarnings: workerLog?.warnings ?? 0, logErrors: workerLog?.errors ?? 0 },
    simulator: fleet.simulator,
  },
  machine,
  targets: {
    overheadP50Ratio: target(
      "≤ 1.05",
      overhead?.overheadP50Ratio ?? null,
      overhead ? overhead.overheadP50Ratio <= 1.05 : null,
    ),
    simRssBytes: target("≤ 1 GiB", fleet?.simRssBytes ?? null, fleet ? fleet.simRssBytes <= GIB : null),
    samplesStored: target(
      "== samplesSent",
      fleet?.samplesStored ?? null,
      fleet ? fleet.samplesStored === fleet.samplesSent : null,
    ),
  },
};
process.stdout.write(`${JSON.stringify(result)}\n`);
