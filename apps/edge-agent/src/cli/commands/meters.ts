import { parseArgs } from "node:util";
import { listMeters } from "../../meters/detect";
import { DEFAULT_PROFILE, getPowerProfile } from "../../meters/model-meter";
import { type CliIo, EXIT } from "../io";

export const METERS_USAGE = "edgewatt-agent meters [--profile generic-x86] [--sys-root /sys] [--json]";

export async function metersCommand(argv: string[], io: CliIo): Promise<number> {
  const { values } = parseArgs({
    args: argv,
    options: {
      profile: { type: "string", default: DEFAULT_PROFILE },
      "sys-root": { type: "string" },
      json: { type: "boolean", default: false },
    },
    strict: true,
    allowPositionals: false,
  });
  getPowerProfile(values.profile);
  const meters = await listMeters(values.profile, {
    ...(values["sys-root"] ? { sysRoot: values["sys-root"] } : {}),
  });
  if (values.json) {
    io.out(JSON.stringify(meters, null, 2));
    return EXIT.ok;
  }
  for (const m of meters) io.out(`${m.source.padEnd(8)} ${m.status.padEnd(13)} ${m.detail}`);
  return EXIT.ok;
}
