/**
 * Entry of the simulator process the fleet benchmark starts: `edgewatt-agent simulate <args>` in a process of its
 * own, so its memory is measured alone. (Equivalent to the CLI's `simulate` command, without going through the
 * command table.)
 */
import { simulateCommand } from "../src/cli/commands/simulate";
import { processIo } from "../src/cli/io";

process.exitCode = await simulateCommand(process.argv.slice(2), processIo);
