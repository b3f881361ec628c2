/**
 * PGlite does not lock its data dir, and two processes (or two instances in one process) writing the
 * same dir corrupt it. `lockDataDir` creates `<dataDir>.lock` holding our pid, exclusively; a lock
 * left by a process that no longer runs is taken over.
 */
import { closeSync, mkdirSync, openSync, readFileSync, unlinkSync, writeSync } from "node:fs";
import { dirname, resolve } from "node:path";
import { DataDirLockedError } from "../errors";

export type DataDirLock = { release(): void };

export function lockDataDir(dataDir: string): DataDirLock {
  const path = `${resolve(dataDir)}.lock`;
  mkdirSync(dirname(path), { recursive: true });
  for (let attempt = 0; attempt < 2; attempt++) {
    try {
      const fd = openSync(path, "wx");
      writeSync(fd, String(process.pid));
      closeSync(fd);
      let released = false;
      return {
        release: () => {
          if (released) return;
          released = true;
          try {
            unlinkSync(path);
          } catch {
            // already gone
          }
        },
      };
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== "EEXIST") throw err;
      const holder = readPid(path);
      if (holder !== null && isAlive(holder)) throw new DataDirLockedError(dataDir, holder);
      try {
        unlinkSync(path); // stale: its process is gone
      } catch {
        // someone else removed it first; try again
      }
    }
  }
  throw new DataDirLockedError(dataDir, readPid(path) ?? -1);
}

function readPid(path: string): number | null {
  try {
    const pid = Number.parseInt(readFileSync(path, "utf8").trim(), 10);
    return Number.isInteger(pid) && pid > 0 ? pid : null;
  } catch {
    return null;
  }
}

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    // EPERM: it exists but belongs to someone else.
    return (err as NodeJS.ErrnoException).code === "EPERM";
  }
}
