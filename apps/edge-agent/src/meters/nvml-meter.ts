/**
 * The `nvml` meter: NVIDIA GPU board power through `nvidia-smi` (the NVML command-line front end, present wherever
 * the driver is). One long-running `nvidia-smi --query-gpu=power.draw --format=csv,noheader,nounits -lms <period>`
 * streams the power of every GPU; the meter keeps the latest reading. Energy of a piece of work = the mean of the
 * summed GPU power at its start and at its end × wall time — approximate for work shorter than the polling period,
 * like the hwmon meter. It measures GPU boards only: on a device whose inference runs on the CPU it says little,
 * which is why auto-detection prefers the CPU-side meters.
 */
import { execFile, spawn } from "node:child_process";
import { createInterface } from "node:readline";
import { promisify } from "node:util";
import type { MeterProbe } from "./measure-between";
import type { EnergyMeter, Measurement } from "./types";

const execFileP = promisify(execFile);

export interface NvmlOptions {
  /** The nvidia-smi executable (default: "nvidia-smi" on PATH; tests point it at a fake). */
  nvidiaSmi?: string;
  /** Polling period of the power stream (ms, default 100). */
  periodMs?: number;
}

export interface NvmlMeter extends EnergyMeter {
  readonly source: "nvml";
  readonly gpus: readonly string[];
  /** Latest summed power (W), or null before the first reading. */
  readonly watts: number | null;
  close(): void;
}

/** Parses one `power.draw` value ("[N/A]" and blanks are not numbers). */
export function parseWatts(text: string): number | null {
  const v = Number(text.trim());
  return text.trim() !== "" && Number.isFinite(v) && v >= 0 ? v : null;
}

export async function probeNvmlMeter(options: NvmlOptions = {}): Promise<MeterProbe<NvmlMeter>> {
  const bin = options.nvidiaSmi ?? "nvidia-smi";
  let stdout: string;
  try {
    ({ stdout } = await execFileP(bin, ["--query-gpu=name,power.draw", "--format=csv,noheader,nounits"], {
      timeout: 5000,
    }));
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    return {
      available: false,
      source: "nvml",
      reason:
        code === "ENOENT"
          ? `${bin} not found (no NVIDIA driver on this device)`
          : `${bin} failed: ${(err as Error).message.split("\n")[0]}`,
    };
  }
  const rows = stdout
    .split("\n")
    .map((l) => l.trim())
    .filter(Boolean)
    .map((l) => {
      const cut = l.lastIndexOf(",");
      return { name: l.slice(0, cut).trim(), watts: parseWatts(l.slice(cut + 1)) };
    });
  if (rows.length === 0) return { available: false, source: "nvml", reason: `${bin} lists no GPU` };
  const silent = rows.filter((r) => r.watts === null).map((r) => r.name);
  if (silent.length > 0) {
    return {
      available: false,
      source: "nvml",
      reason: `GPU ${silent.join(", ")} does not report power.draw (nvidia-smi shows [N/A])`,
    };
  }
  return {
    available: true,
    meter: createNvmlMeter(
      bin,
      rows.map((r) => r.name),
      options.periodMs ?? 100,
    ),
  };
}

function createNvmlMeter(bin: string, gpus: string[], periodMs: number): NvmlMeter {
  let watts: number | null = null;
  let pending: number[] = [];
  let closed = false;
  let child: ReturnType<typeof spawn> | null = null;
  let lastError: string | null = null;

  const startPoller = () => {
    if (closed) return;
    const proc = spawn(bin, ["--query-gpu=power.draw", "--format=csv,noheader,nounits", `-lms=${periodMs}`], {
      stdio: ["ignore", "pipe", "ignore"],
    });
    child = proc;
    proc.unref();
    proc.on("error", (err) => {
      lastError = err.message;
    });
    const lines = createInterface({ input: proc.stdout as NodeJS.ReadableStream });
    lines.on("line", (line) => {
      const w = parseWatts(line);
      if (w === null) return;
      // One line per GPU per tick, in GPU order: a full group is one reading.
      pending.push(w);
      if (pending.length === gpus.length) {
        watts = pending.reduce((a, b) => a + b, 0);
        pending = [];
      }
    });
    proc.on("exit", () => {
      child = null;
      watts = null;
      pending = [];
      if (!closed) setTimeout(startPoller, 1000).unref();
    });
  };
  startPoller();

  const read = (): number => {
    if (watts === null) {
      throw new Error(`no power reading from ${bin} yet${lastError ? ` (${lastError})` : ""}`);
    }
    return watts;
  };

  return {
    source: "nvml",
    gpus,
    get watts() {
      return watts;
    },
    description: `nvml (nvidia-smi power.draw of ${gpus.join(", ")}, polled every ${periodMs} ms; mean of start and end power × wall time)`,
    async measure<T>(fn: () => T | Promise<T>): Promise<Measurement<T>> {
      const before = read();
      const cpu0 = process.cpuUsage();
      const t0 = process.hrtime.bigint();
      let outcome: { ok: true; result: T } | { ok: false; error: unknown };
      try {
        outcome = { ok: true, result: await fn() };
      } catch (error) {
        outcome = { ok: false, error };
      }
      const wallMs = Number(process.hrtime.bigint() - t0) / 1e6;
      const cpu = process.cpuUsage(cpu0);
      const after = read();
      return {
        source: "nvml",
        energyJ: ((before + after) / 2) * (wallMs / 1000),
        wallMs,
        cpuMs: (cpu.user + cpu.system) / 1000,
        ...outcome,
      };
    },
    close() {
      closed = true;
      child?.kill();
    },
  };
}
