/** One running agent per state directory: a lock file holding the owner's pid. */
import { open, readFile, rm } from "node:fs/promises";
import { join } from "node:path";
import { AgentError } from "../errors";
import { FILE_MODE } from "./paths";

export interface RunLock {
  release(): Promise<void>;
}

export async function acquireRunLock(stateDir: string): Promise<RunLock> {
  const path = join(stateDir, "agent.lock");
  for (let attempt = 0; attempt < 2; attempt++) {
    try {
      const fh = await open(path, "wx", FILE_MODE);
      await fh.writeFile(`${process.pid}\n`);
      await fh.close();
      let released = false;
      return {
        async release() {
          if (released) return;
          released = true;
          await rm(path, { force: true });
        },
      };
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== "EEXIST") throw err;
      const pid = Number((await readFile(path, "utf8").catch(() => "")).trim());
      if (Number.isInteger(pid) && pid > 0 && isAlive(pid)) {
        throw new AgentError(
          "ALREADY_RUNNING",
          `another agent (pid ${pid}) is already running with state dir ${stateDir} — stop it first or use another --state-dir`,
        );
      }
      // Left by an agent that died without cleaning up.
      await rm(path, { force: true });
    }
  }
  throw new AgentError("ALREADY_RUNNING", `cannot take the run lock in ${stateDir}`);
}

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === "EPERM";
  }
}
