import { parseArgs } from "node:util";
import { rotateCredentials } from "../../enroll/rotate-credentials";
import { resolveStateDir } from "../../state/paths";
import { findStatus } from "../../state/status";
import { type CliIo, EXIT } from "../io";

export const ROTATE_USAGE = "edgewatt-agent rotate [--state-dir <dir>]";

/**
 * `edgewatt-agent rotate`: a new NATS key pair and user JWT for this device; the old credentials are revoked
 * by the portal at once.
 */
export async function rotateCommand(argv: string[], io: CliIo): Promise<number> {
  const { values } = parseArgs({
    args: argv,
    options: { "state-dir": { type: "string" } },
    strict: true,
    allowPositionals: false,
  });
  const stateDir = resolveStateDir(values["state-dir"]);
  const result = await rotateCredentials({ stateDir });
  io.out(`rotated the NATS credentials of device ${result.identity.deviceId}`);
  io.out(`  old key ${result.previousPublicKey} (revoked)`);
  io.out(`  new key ${result.publicKey}`);
  const status = await findStatus(stateDir).catch(() => null);
  if (status?.running) {
    io.out(
      "the agent is running with the old credentials: restart it (e.g. systemctl restart edgewatt-agent)",
    );
  }
  return EXIT.ok;
}
