import { parseArgs } from "node:util";
import { startAgent } from "../../agent/start-agent";
import { AgentError } from "../../errors";
import { parseInputSpec } from "../../inputs/parse-input";
import { DEFAULT_PROFILE, getPowerProfile } from "../../meters/model-meter";
import { resolveStateDir } from "../../state/paths";
import { type CliIo, EXIT } from "../io";

export const RUN_USAGE =
  "edgewatt-agent run [--state-dir <dir>] [--rate <Hz>] [--input random|csv:<path>] [--profile generic-x86] [--threads <n>] [--outbox-max <batches>]";

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
      "state-dir": { type: "string" },
      rate: { type: "string" },
      input: { type: "string", default: "random" },
      profile: { type: "string", default: DEFAULT_PROFILE },
      threads: { type: "string" },
      "outbox-max": { type: "string" },
    },
    strict: true,
    allowPositionals: false,
  });
  const rateHz = positiveNumber("--rate", values.rate, false);
  if (rateHz !== undefined && rateHz > 1000) throw new AgentError("USAGE", "--rate must be at most 1000 Hz");
  const threads = positiveNumber("--threads", values.threads, true);
  const outboxMax = positiveNumber("--outbox-max", values["outbox-max"], true);
  const input = parseInputSpec(values.input);
  getPowerProfile(values.profile);
  const agent = await startAgent({
    stateDir: resolveStateDir(values["state-dir"]),
    input,
    profile: values.profile,
    ...(rateHz !== undefined ? { rateHz } : {}),
    ...(threads !== undefined ? { threads } : {}),
    ...(outboxMax !== undefined ? { outboxMax } : {}),
  });

  return new Promise<number>((resolve) => {
    let signals = 0;
    const onSignal = (signal: NodeJS.Signals) => {
      if (++signals > 1) {
        io.err(`edgewatt-agent: second ${signal}; exiting without finishing shutdown`);
        process.exit(EXIT.failure);
      }
      agent.stop().then(
        () => resolve(EXIT.ok),
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
