/**
 * The agent's configuration: defaults < config file < environment < command-line flags.
 *
 * The file is JSON (`--config`, else $EDGEWATT_AGENT_CONFIG, else `<state dir>/agent.json` when it exists; a
 * systemd install uses /etc/edgewatt/agent.json). Every key is optional. Unknown keys and out-of-range values are
 * refused with the file, the key and what to write instead — a typo must never silently fall back to a default.
 * Environment variables override single keys: EDGEWATT_AGENT_<KEY> with the key in UPPER_SNAKE_CASE (e.g.
 * EDGEWATT_AGENT_RATE, EDGEWATT_AGENT_METER, EDGEWATT_AGENT_API_HTTP).
 */
import { readFile } from "node:fs/promises";
import { isAbsolute, join, resolve } from "node:path";
import { ENERGY_SOURCES, PRIORITIES } from "@edgewatt/protocol";
import { z } from "zod";
import { AgentError, errorMessage } from "../errors";

const ZHostPort = z
  .string()
  .regex(/^(127\.0\.0\.1|localhost|\[::1\]):\d{1,5}$/, {
    message: 'must be "127.0.0.1:<port>" (the local API only listens on the loopback interface)',
  })
  .refine((v) => Number(v.slice(v.lastIndexOf(":") + 1)) <= 65535, { message: "port must be ≤ 65535" });

const ZAgentConfigObject = z
  .object({
    /** Built-in request source: random, csv:<path>, images:<path> — or "none" (only local API requests). */
    input: z.string().min(1).default("random"),
    /** Requests per second from the built-in source. */
    rateHz: z.number().positive().max(1000).default(5),
    /** Share of built-in requests per priority (normalised). */
    priorityMix: z
      .partialRecord(z.enum(PRIORITIES), z.number().min(0))
      .refine((m) => Object.values(m).some((v) => v > 0), { message: "at least one share must be > 0" })
      .default({ normal: 1 }),
    /** Power profile of the `model` meter (and of the fallback when a sensor is unreadable). */
    profile: z.string().min(1).default("generic-x86"),
    /** `auto` (best available) or one source; a named source the device lacks is an error. */
    meter: z.enum(["auto", ...ENERGY_SOURCES.filter((s) => s !== "simulated")]).default("auto"),
    /** nvidia-smi to poll for the `nvml` meter (a path, or a name looked up on PATH). */
    nvidiaSmi: z.string().min(1).default("nvidia-smi"),
    /** Where the sensors live (tests point it at a fake tree). */
    sysRoot: z.string().min(1).default("/sys"),
    threads: z.number().int().min(1).max(64).default(1),
    maxThreads: z.number().int().min(1).max(64).default(4),
    /** Estimated memory all warm onnxruntime sessions of a deployment may take. */
    sessionBudgetMiB: z.number().positive().max(65536).default(512),
    /** Most the on-disk model cache may hold. */
    cacheMaxMiB: z.number().positive().max(1_048_576).default(2048),
    /** Most telemetry batches kept on disk while the broker is unreachable. */
    outboxMax: z.number().int().positive().default(10_000),
    /** A `periodic` sample (idle energy, battery, CPU, memory) every this many seconds; 0 = off. */
    periodicSeconds: z.number().min(0).max(3600).default(10),
    heartbeatSeconds: z.number().positive().max(3600).default(5),
    /** How long a graceful shutdown waits for queued requests and the outbox. */
    shutdownDrainSeconds: z.number().min(0).max(600).default(5),
    api: z
      .object({
        /** "127.0.0.1:<port>" or null for no TCP listener. */
        http: ZHostPort.nullable().default(null),
        /** Unix socket path, or null; relative paths are inside the state directory. */
        socket: z.string().min(1).nullable().default("agent.sock"),
      })
      .strict()
      .default({ http: null, socket: "agent.sock" }),
  })
  .strict();

export const ZAgentConfig = ZAgentConfigObject.superRefine((c, ctx) => {
  if (c.threads > c.maxThreads) {
    ctx.addIssue({ code: "custom", path: ["threads"], message: `must be ≤ maxThreads (${c.maxThreads})` });
  }
});
export type AgentConfig = z.infer<typeof ZAgentConfig>;

/** Env var → config key (dotted for nested keys) and how to read its text. */
const ENV_KEYS: Record<string, { key: string; kind: "number" | "string" | "nullable-string" | "json" }> = {
  EDGEWATT_AGENT_INPUT: { key: "input", kind: "string" },
  EDGEWATT_AGENT_RATE: { key: "rateHz", kind: "number" },
  EDGEWATT_AGENT_PRIORITY_MIX: { key: "priorityMix", kind: "json" },
  EDGEWATT_AGENT_PROFILE: { key: "profile", kind: "string" },
  EDGEWATT_AGENT_METER: { key: "meter", kind: "string" },
  EDGEWATT_AGENT_SYS_ROOT: { key: "sysRoot", kind: "string" },
  EDGEWATT_AGENT_NVIDIA_SMI: { key: "nvidiaSmi", kind: "string" },
  EDGEWATT_AGENT_THREADS: { key: "threads", kind: "number" },
  EDGEWATT_AGENT_MAX_THREADS: { key: "maxThreads", kind: "number" },
  EDGEWATT_AGENT_SESSION_BUDGET_MIB: { key: "sessionBudgetMiB", kind: "number" },
  EDGEWATT_AGENT_CACHE_MAX_MIB: { key: "cacheMaxMiB", kind: "number" },
  EDGEWATT_AGENT_OUTBOX_MAX: { key: "outboxMax", kind: "number" },
  EDGEWATT_AGENT_PERIODIC_SECONDS: { key: "periodicSeconds", kind: "number" },
  EDGEWATT_AGENT_HEARTBEAT_SECONDS: { key: "heartbeatSeconds", kind: "number" },
  EDGEWATT_AGENT_SHUTDOWN_DRAIN_SECONDS: { key: "shutdownDrainSeconds", kind: "number" },
  EDGEWATT_AGENT_API_HTTP: { key: "api.http", kind: "nullable-string" },
  EDGEWATT_AGENT_API_SOCKET: { key: "api.socket", kind: "nullable-string" },
};

export interface LoadConfigOptions {
  stateDir: string;
  /** `--config`; else $EDGEWATT_AGENT_CONFIG; else `<state dir>/agent.json` if present. */
  file?: string | undefined;
  env?: NodeJS.ProcessEnv;
  /** Command-line values (already typed; dotted keys for nested ones, e.g. "api.http"), applied last. */
  overrides?: Record<string, unknown>;
}

export interface LoadedConfig {
  config: AgentConfig;
  /** The file read, or null when there was none. */
  file: string | null;
  /** Resolved socket path (absolute) or null. */
  socketPath: string | null;
}

export async function loadAgentConfig(opts: LoadConfigOptions): Promise<LoadedConfig> {
  const env = opts.env ?? process.env;
  const explicit = opts.file ?? env.EDGEWATT_AGENT_CONFIG;
  const path = explicit ? resolve(explicit) : join(opts.stateDir, "agent.json");
  let raw: Record<string, unknown> = {};
  let file: string | null = null;
  let text: string | null = null;
  try {
    text = await readFile(path, "utf8");
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    if (explicit || code !== "ENOENT") {
      throw new AgentError(
        "CONFIG_INVALID",
        `cannot read the config file ${path}: ${code === "ENOENT" ? "it does not exist" : errorMessage(err)} — ` +
          "fix the path given with --config / EDGEWATT_AGENT_CONFIG, or remove it to run with defaults",
      );
    }
  }
  if (text !== null) {
    file = path;
    try {
      const parsed: unknown = JSON.parse(text);
      if (typeof parsed !== "object" || parsed === null || Array.isArray(parsed))
        throw new Error("not an object");
      raw = parsed as Record<string, unknown>;
    } catch (err) {
      throw new AgentError(
        "CONFIG_INVALID",
        `config file ${path} is not a JSON object (${errorMessage(err)}) — write it as {"rateHz": 5, …}; ` +
          "see apps/edge-agent/README.md for every key",
      );
    }
  }
  const merged = structuredClone(raw);
  for (const [name, { key, kind }] of Object.entries(ENV_KEYS)) {
    const value = env[name];
    if (value === undefined || value === "") continue;
    setPath(merged, key, fromEnv(name, value, kind));
  }
  for (const [key, value] of Object.entries(opts.overrides ?? {})) {
    if (value !== undefined) setPath(merged, key, value);
  }
  const result = ZAgentConfig.safeParse(merged);
  if (!result.success) {
    const where = file ? `config file ${file} (with environment overrides)` : "agent configuration";
    const issues = result.error.issues.map((i) => describeIssue(i)).join("; ");
    throw new AgentError("CONFIG_INVALID", `invalid ${where}: ${issues}`);
  }
  const config = result.data;
  const socket = config.api.socket;
  return {
    config,
    file,
    socketPath: socket === null ? null : isAbsolute(socket) ? socket : join(opts.stateDir, socket),
  };
}

function describeIssue(issue: z.core.$ZodIssue): string {
  const path = issue.path.join(".") || "(top level)";
  if (issue.code === "unrecognized_keys") {
    const known = Object.keys(ZAgentConfigObject.shape);
    return `unknown key${issue.keys.length > 1 ? "s" : ""} ${issue.keys.map((k) => `"${k}"`).join(", ")}${
      path === "(top level)" ? "" : ` in ${path}`
    } — known keys: ${known.join(", ")}`;
  }
  return `${path}: ${issue.message}`;
}

function fromEnv(
  name: string,
  value: string,
  kind: "number" | "string" | "nullable-string" | "json",
): unknown {
  switch (kind) {
    case "string":
      return value;
    case "nullable-string":
      return value === "off" || value === "none" ? null : value;
    case "number": {
      const n = Number(value);
      if (!Number.isFinite(n)) {
        throw new AgentError("CONFIG_INVALID", `${name} must be a number, got "${value}"`);
      }
      return n;
    }
    case "json":
      try {
        return JSON.parse(value);
      } catch {
        throw new AgentError(
          "CONFIG_INVALID",
          `${name} must be JSON, e.g. {"critical":0.1,"normal":0.7,"background":0.2}; got "${value}"`,
        );
      }
  }
}

function setPath(target: Record<string, unknown>, dotted: string, value: unknown): void {
  const parts = dotted.split(".");
  let node = target;
  for (const part of parts.slice(0, -1)) {
    const next = node[part];
    if (typeof next !== "object" || next === null || Array.isArray(next)) node[part] = {};
    node = node[part] as Record<string, unknown>;
  }
  node[parts[parts.length - 1] as string] = value;
}
