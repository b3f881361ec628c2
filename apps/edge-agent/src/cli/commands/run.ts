import { parseArgs } from "node:util";
import { startAgent } from "../../agent/start-agent";
import { loadAgentConfig } from "../../config/agent-config";
import { AgentError } from "../../errors";
import { parseInputSpec } from "../../inputs/parse-input";
import { getPowerProfile } from "../../meters/model-meter";
import { resolveStateDir } from "../../state/paths";
import { type CliIo, EXIT } from "../io";

export const RUN_USAGE =
  "edgewatt-agent run [--config <file.json>] [--state-dir <dir>] [--rate <Hz>] [--input random|csv:<path>|images:<path>|none] [--profile generic-x86] [--meter auto|rapl|hwmon|battery|nvml|model] [--threads <n>] [--outbox-max <batches>] [--api-http 127.0.0.1:<port>|off] [--api-socket <path>|off]";

function positiveNumber(flag: string, value: string | undefined, integer: boolean): number | undefined {
  if (value === undefined) return undefined;
  const n = Number(value);
  if (!Number.isFinite(n) || n <= 0 || (integer && !Number.isInteger(n))) {
    throw new AgentError(
      "USAGE",
      `${flag} must be a positive ${integer ? "integer" : "number"}, got "${value}"`,
    );
  }
  return n;
}

export async function runCommand(argv: string[], io: CliIo): Promise<number> {
  const { values } = parseArgs({
    args: argv,
    options: {
      config: { type: "string" },
      "state-dir": { type: "string" },
      rate: { type: "string" },
      input: { type: "string" },
      profile: { type: "string" },
      meter: { type: "string" },
      threads: { type: "string" },
      "outbox-max": { type: "string" },
      "api-http": { type: "string" },
      "api-socket": { type: "string" },
    },
    strict: true,
    allowPositionals: false,
  });
  const rateHz = positiveNumber("--rate", values.rate, false);
  if (rateHz !== undefined && rateHz > 1000) throw new AgentError("USAGE", "--rate must be at most 1000 Hz");
  const threads = positiveNumber("--threads", values.threads, true);
  const outboxMax = positiveNumber("--outbox-max", values["outbox-max"], true);
  if (values.input !== undefined && values.input !== "none") parseInputSpec(values.input);
  const offOr = (v: string | undefined) => (v === undefined ? undefined : v === "off" ? null : v);
  const stateDir = resolveStateDir(values["state-dir"]);
  const { config, file } = await loadAgentConfig({
    stateDir,
    file: values.config,
    overrides: {
      rateHz,
      threads,
      outboxMax,
      input: values.input,
      profile: values.profile,
      meter: values.meter,
      "api.http": offOr(values["api-http"]),
      "api.socket": offOr(values["api-socket"]),
    },
  });
  getPowerProfile(config.profile);
  if (file) io.err(`edgewatt-agent: configuration from ${file}`);
  const agent = await startAgent({ stateDir, config });

  return new Promise<number>((resolve) => {
    let signals = 0;
    const onSignal = (signal: NodeJS.Signals) => {
      if (++signals > 1) {
        io.err(`edgewatt-agent: second ${signal}; exiting without finishing shutdown`);
        process.exit(EXIT.failure);
      }
      agent.stop().then(
        () => {
          resolve(EXIT.ok);
          // Shutdown is complete (requests drained, outbox flushed, lock released). Exit even if a library left
          // a handle open (e.g. a socket of a timed-out NATS connect, nats-io/nats.js#64).
          setTimeout(() => process.exit(EXIT.ok), 2000).unref();
        },
        (err: unknown) => {
          io.err(`edgewatt-agent: shutdown failed: ${(err as Error).message}`);
          resolve(EXIT.failure);
        },
      );
    };
    process.on("SIGINT", onSignal);
    process.on("SIGTERM", onSignal);
  });
}
