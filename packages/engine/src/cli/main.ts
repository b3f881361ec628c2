/** Entry point of the edgewatt-engine CLI; see run-cli.ts for commands and exit codes. */
import { runCli } from "./run-cli";

process.exitCode = await runCli(process.argv.slice(2));
