import { AgentError, errorMessage } from "../errors";
import { AGENT_VERSION } from "../version";
import { ENROLL_USAGE, enrollCommand } from "./commands/enroll";
import { METERS_USAGE, metersCommand } from "./commands/meters";
import { ROTATE_USAGE, rotateCommand } from "./commands/rotate";
import { RUN_USAGE, runCommand } from "./commands/run";
import { SIMULATE_USAGE, simulateCommand } from "./commands/simulate";
import { STATUS_USAGE, statusCommand } from "./commands/status";
import { type CliIo, EXIT, processIo } from "./io";

export const USAGE = `EdgeWatt edge agent ${AGENT_VERSION}

usage:
  ${ENROLL_USAGE}
  ${RUN_USAGE}
  ${STATUS_USAGE}
  ${METERS_USAGE}
  ${ROTATE_USAGE}
  ${SIMULATE_USAGE}

The state directory defaults to $EDGEWATT_AGENT_HOME or ~/.edgewatt-agent.`;

const COMMANDS: Record<string, (argv: string[], io: CliIo) => Promise<number>> = {
  enroll: enrollCommand,
  run: runCommand,
  status: statusCommand,
  meters: metersCommand,
  rotate: rotateCommand,
  simulate: simulateCommand,
};

/** Runs one CLI invocation and returns its exit code; expected failures print one line on stderr. */
export async function runCli(argv: string[], io: CliIo = processIo): Promise<number> {
  const [command, ...rest] = argv;
  if (!command || command === "help" || command === "--help" || command === "-h") {
    io.out(USAGE);
    return command ? EXIT.ok : EXIT.usage;
  }
  if (command === "--version" || command === "version") {
    io.out(AGENT_VERSION);
    return EXIT.ok;
  }
  const handler = COMMANDS[command];
  if (!handler) {
    io.err(`edgewatt-agent: unknown command "${command}" — try: edgewatt-agent help`);
    return EXIT.usage;
  }
  try {
    return await handler(rest, io);
  } catch (err) {
    if (err instanceof AgentError) {
      io.err(`edgewatt-agent: ${err.message}`);
      return EXIT.usage;
    }
    if (isParseArgsError(err)) {
      io.err(`edgewatt-agent ${command}: ${errorMessage(err)} — try: edgewatt-agent help`);
      return EXIT.usage;
    }
    io.err(`edgewatt-agent: ${command} failed: ${errorMessage(err)}`);
    if (err instanceof Error && err.stack) io.err(err.stack);
    return EXIT.failure;
  }
}

function isParseArgsError(err: unknown): boolean {
  const code = (err as { code?: unknown }).code;
  return typeof code === "string" && code.startsWith("ERR_PARSE_ARGS_");
}
