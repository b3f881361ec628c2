import { parseArgs } from "node:util";
import { enrollDevice } from "../../enroll/enroll-device";
import { AgentError } from "../../errors";
import { activeMeterSources, listMeters } from "../../meters/detect";
import { DEFAULT_PROFILE } from "../../meters/model-meter";
import { resolveStateDir } from "../../state/paths";
import { type CliIo, EXIT } from "../io";

export const ENROLL_USAGE =
  "edgewatt-agent enroll --server <portal URL> --token <token> [--name <device name>] [--state-dir <dir>] [--force]";

export async function enrollCommand(argv: string[], io: CliIo): Promise<number> {
  const { values } = parseArgs({
    args: argv,
    options: {
      server: { type: "string" },
      token: { type: "string" },
      name: { type: "string" },
      "state-dir": { type: "string" },
      force: { type: "boolean", default: false },
    },
    strict: true,
    allowPositionals: false,
  });
  if (!values.server || !values.token) {
    throw new AgentError("USAGE", `enroll needs --server and --token — usage: ${ENROLL_USAGE}`);
  }
  const stateDir = resolveStateDir(values["state-dir"]);
  const meters = activeMeterSources(await listMeters(DEFAULT_PROFILE));
  const { identity, identityPath } = await enrollDevice({
    server: values.server,
    token: values.token,
    name: values.name,
    stateDir,
    force: values.force,
    meters,
  });
  io.out(`enrolled "${identity.deviceName}" as device ${identity.deviceId} in org ${identity.orgId}`);
  io.out(`identity written to ${identityPath}`);
  io.out(`start the agent with: edgewatt-agent run --state-dir ${stateDir}`);
  return EXIT.ok;
}
