import { parseArgs } from "node:util";
import { POWER_PROFILE_IDS } from "@edgewatt/engine/energy";
import {
  DEFAULT_PRIORITY_SHARES,
  isPowerTraceId,
  POWER_TRACE_IDS,
  type PowerTraceId,
  parsePriorityShares,
} from "@edgewatt/engine/sim";
import type { Logger } from "@edgewatt/nats";
import { AgentError, errorMessage } from "../../errors";
import { getPowerProfile } from "../../meters/model-meter";
import { COMPUTE_MODES, type ComputeMode, startFleet } from "../../simulate/fleet";
import { ensureSimIdentities, simRoot } from "../../simulate/sim-identities";
import { resolveStateDir } from "../../state/paths";
import { type CliIo, EXIT } from "../io";

export const SIMULATE_USAGE =
  "edgewatt-agent simulate --devices <N> [--profile <id[,id…]>] [--trace steady|battery-drain|diurnal-solar[,…]] [--duration <s>] [--rate <Hz per device>] [--mix critical=1,normal=7,background=2] [--time-scale <x>] [--seed <n>] [--model <file.onnx>] [--compute onnx|none] [--server <portal URL> --token <token>] [--identities-only] [--state-dir <dir>]";

const HELP = `${SIMULATE_USAGE}

Runs N virtual devices in this one process, each with its own identity (<state dir>/sim/<index>/identity.json),
NATS connection, battery model, telemetry publisher and outbox; onnxruntime sessions are shared. Every sample is
labelled energySource "simulated". Stops after --duration or on SIGINT/SIGTERM, flushing every outbox, and prints
a JSON summary as the last line on stdout.

  --devices <N>            virtual devices (1..5000)
  --profile <ids>          power profiles, round-robin by device (${POWER_PROFILE_IDS.join(", ")}); default generic-x86
  --trace <ids>            power traces, round-robin (${POWER_TRACE_IDS.join(", ")}); default steady
  --duration <s>           stop after this many seconds (default: run until a signal)
  --rate <Hz>              base requests per second per device (default 1)
  --mix <weights>          priority mix (default critical=0.1,normal=0.7,background=0.2)
  --time-scale <x>         simulated seconds per wall second for traces and batteries (default 1)
  --seed <n>               run seed (default 1): same seed, same arrivals, batteries and panels
  --model <file.onnx>      run this local model on every device instead of following DEPLOY assignments
  --compute onnx|none      none: no inference runs (pure load test; samples say "compute none")
  --nominal-ms <ms>        with --compute none: host time a run stands for when the ladder has none (default 5)
  --threads <n>            intra-op threads of normal work (default 1); --max-threads <n> (default 4)
  --battery-wh <Wh>        battery capacity (default: 6 h of the profile's idle power)
  --battery-start <pct>    battery level at t0 (default: per trace, seeded)
  --start-hour <h>         diurnal-solar: hour of day at t0 (default 6)
  --flush-ms <ms>          telemetry batching period (default 2000)
  --periodic <s>           periodic sample interval (default 10); --heartbeat <s> (default 30)
  --drain <s>              how long shutdown waits for the outboxes (default 30)
  --server, --token        enroll devices that have no identity yet (the token needs one use per device)
  --identities-only        enroll / check the identities and exit
  --verbose                info logs on stderr (default: warnings and errors only)`;

function numberFlag(
  flag: string,
  value: string | undefined,
  fallback: number,
  check: { min: number; max: number; integer?: boolean },
): number {
  if (value === undefined) return fallback;
  const n = Number(value);
  if (!Number.isFinite(n) || n < check.min || n > check.max || (check.integer && !Number.isInteger(n))) {
    throw new AgentError(
      "USAGE",
      `${flag} must be ${check.integer ? "an integer" : "a number"} in ${check.min}..${check.max}, got "${value}"`,
    );
  }
  return n;
}

function optionalNumber(
  flag: string,
  value: string | undefined,
  check: { min: number; max: number },
): number | undefined {
  return value === undefined ? undefined : numberFlag(flag, value, 0, check);
}

function list(value: string | undefined, fallback: string): string[] {
  return (value ?? fallback)
    .split(",")
    .map((s) => s.trim())
    .filter(Boolean);
}

/** Warnings and errors as JSON lines on stderr (info too with --verbose); stdout is kept for the summary. */
function stderrLogger(io: CliIo, verbose: boolean): Logger {
  const emit = (level: string, obj: Record<string, unknown>, msg: string) =>
    io.err(JSON.stringify({ ts: new Date().toISOString(), level, component: "edge-agent-sim", msg, ...obj }));
  return {
    info: (obj, msg) => {
      if (verbose) emit("info", obj, msg);
    },
    warn: (obj, msg) => emit("warn", obj, msg),
    error: (obj, msg) => emit("error", obj, msg),
  };
}

export async function simulateCommand(argv: string[], io: CliIo): Promise<number> {
  const { values } = parseArgs({
    args: argv,
    options: {
      devices: { type: "string" },
      profile: { type: "string" },
      trace: { type: "string" },
      duration: { type: "string" },
      rate: { type: "string" },
      mix: { type: "string" },
      "time-scale": { type: "string" },
      seed: { type: "string" },
      model: { type: "string" },
      compute: { type: "string" },
      "nominal-ms": { type: "string" },
      threads: { type: "string" },
      "max-threads": { type: "string" },
      "battery-wh": { type: "string" },
      "battery-start": { type: "string" },
      "start-hour": { type: "string" },
      "flush-ms": { type: "string" },
      periodic: { type: "string" },
      heartbeat: { type: "string" },
      "outbox-max": { type: "string" },
      drain: { type: "string" },
      server: { type: "string" },
      token: { type: "string" },
      "identities-only": { type: "boolean", default: false },
      "state-dir": { type: "string" },
      verbose: { type: "boolean", default: false },
      help: { type: "boolean", default: false },
    },
    strict: true,
    allowPositionals: false,
  });
  if (values.help) {
    io.out(HELP);
    return EXIT.ok;
  }
  if (values.devices === undefined) {
    throw new AgentError("USAGE", `simulate needs --devices <N> — usage: ${SIMULATE_USAGE}`);
  }
  const devices = numberFlag("--devices", values.devices, 0, { min: 1, max: 5000, integer: true });
  if ((values.server === undefined) !== (values.token === undefined)) {
    throw new AgentError("USAGE", "--server and --token go together (to enroll virtual devices)");
  }
  const stateDir = resolveStateDir(values["state-dir"]);
  const log = stderrLogger(io, values.verbose);

  if (values["identities-only"]) {
    const ids = await ensureSimIdentities({
      stateDir,
      devices,
      server: values.server,
      token: values.token,
      progress: (line) => io.err(`edgewatt-agent: ${line}`),
    });
    io.out(
      `${devices} virtual device identities in ${simRoot(stateDir)} (${ids.enrolled} enrolled now, ${ids.reused} reused)`,
    );
    return EXIT.ok;
  }

  const profiles = list(values.profile, "generic-x86");
  for (const p of profiles) getPowerProfile(p);
  const traces = list(values.trace, "steady");
  for (const t of traces) {
    if (!isPowerTraceId(t)) {
      throw new AgentError("USAGE", `unknown --trace "${t}" — use one of: ${POWER_TRACE_IDS.join(", ")}`);
    }
  }
  const compute = (values.compute ?? "onnx") as ComputeMode;
  if (!COMPUTE_MODES.includes(compute)) {
    throw new AgentError(
      "USAGE",
      `--compute must be one of ${COMPUTE_MODES.join(", ")}, got "${values.compute}"`,
    );
  }
  let priorities = DEFAULT_PRIORITY_SHARES;
  if (values.mix !== undefined) {
    try {
      priorities = parsePriorityShares(values.mix);
    } catch (err) {
      throw new AgentError("USAGE", `--mix: ${errorMessage(err)}`);
    }
  }
  const threads = numberFlag("--threads", values.threads, 1, { min: 1, max: 64, integer: true });
  const maxThreads = numberFlag("--max-threads", values["max-threads"], Math.max(4, threads), {
    min: threads,
    max: 64,
    integer: true,
  });
  const durationS = optionalNumber("--duration", values.duration, { min: 0.1, max: 30 * 86_400 });
  const drainMs = numberFlag("--drain", values.drain, 30, { min: 0, max: 3600 }) * 1000;

  const fleet = await startFleet({
    stateDir,
    devices,
    profiles,
    traces: traces as PowerTraceId[],
    seed: numberFlag("--seed", values.seed, 1, { min: 0, max: 2 ** 32 - 1, integer: true }),
    rateHz: numberFlag("--rate", values.rate, 1, { min: 0, max: 1000 }),
    priorities,
    timeScale: numberFlag("--time-scale", values["time-scale"], 1, { min: 0.001, max: 1e6 }),
    batteryWh: optionalNumber("--battery-wh", values["battery-wh"], { min: 0.001, max: 1e6 }),
    batteryStartPct: optionalNumber("--battery-start", values["battery-start"], { min: 0, max: 100 }),
    startHour: optionalNumber("--start-hour", values["start-hour"], { min: 0, max: 24 }),
    compute,
    nominalMs: numberFlag("--nominal-ms", values["nominal-ms"], 5, { min: 0, max: 60_000 }),
    model: values.model,
    threads,
    maxThreads,
    flushMs: numberFlag("--flush-ms", values["flush-ms"], 2000, { min: 50, max: 600_000 }),
    periodicMs: numberFlag("--periodic", values.periodic, 10, { min: 0.1, max: 3600 }) * 1000,
    heartbeatMs: numberFlag("--heartbeat", values.heartbeat, 30, { min: 0.1, max: 3600 }) * 1000,
    outboxMax: numberFlag("--outbox-max", values["outbox-max"], 10_000, { min: 1, max: 1e7, integer: true }),
    tickMs: 100,
    server: values.server,
    token: values.token,
    log,
    progress: (line) => io.err(line),
  });
  io.err(
    `edgewatt-agent: simulating ${devices} devices (${compute === "none" ? "compute none — no inference runs" : "onnxruntime"}, ` +
      `profiles ${profiles.join(",")}, traces ${traces.join(",")}); all telemetry is labelled simulated`,
  );

  let signals = 0;
  let finish: () => void = () => undefined;
  const onSignal = (signal: NodeJS.Signals) => {
    if (++signals > 1) {
      io.err(`edgewatt-agent: second ${signal}; exiting without flushing`);
      process.exit(EXIT.failure);
    }
    io.err(`edgewatt-agent: ${signal}; stopping the simulation and flushing every outbox`);
    finish();
  };
  process.on("SIGINT", onSignal);
  process.on("SIGTERM", onSignal);
  try {
    const done = new Promise<void>((resolve) => {
      finish = resolve;
    });
    const timer = durationS !== undefined ? setTimeout(() => finish(), durationS * 1000) : null;
    await done;
    if (timer) clearTimeout(timer);
    const summary = await fleet.stop(drainMs);
    io.out(JSON.stringify(summary));
    return EXIT.ok;
  } finally {
    process.off("SIGINT", onSignal);
    process.off("SIGTERM", onSignal);
  }
}
