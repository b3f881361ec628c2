/**
 * The agent's state directory and the files in it. Everything is private to the agent's user: directories
 * 0700, files 0600 (identity.json may hold NATS credentials).
 */
import { randomBytes } from "node:crypto";
import { chmod, mkdir, readFile, rename, rm, writeFile } from "node:fs/promises";
import { homedir } from "node:os";
import { join, resolve } from "node:path";
import { getEnv } from "../env";

export const DIR_MODE = 0o700;
export const FILE_MODE = 0o600;

export interface StatePaths {
  root: string;
  identity: string;
  status: string;
  cache: string;
  outbox: string;
  /** The serving assignment (and its policy artifact), for a restart without a network. */
  assignment: string;
}

/** `--state-dir`, else EDGEWATT_AGENT_HOME, else ~/.edgewatt-agent. */
export function resolveStateDir(flag?: string): string {
  return resolve(flag ?? getEnv().EDGEWATT_AGENT_HOME ?? join(homedir(), ".edgewatt-agent"));
}

export function statePaths(root: string): StatePaths {
  return {
    root,
    identity: join(root, "identity.json"),
    status: join(root, "status.json"),
    cache: join(root, "cache"),
    outbox: join(root, "outbox"),
    assignment: join(root, "assignment.json"),
  };
}

/** Creates a private directory (and parents); tightens the mode if it already existed. */
export async function ensurePrivateDir(path: string): Promise<void> {
  await mkdir(path, { recursive: true, mode: DIR_MODE });
  await chmod(path, DIR_MODE);
}

/** Writes a file atomically (temp file + rename) with mode 0600. */
export async function writePrivateFile(path: string, data: string | Uint8Array): Promise<void> {
  const tmp = `${path}.tmp-${process.pid}-${randomBytes(4).toString("hex")}`;
  try {
    await writeFile(tmp, data, { mode: FILE_MODE });
    await rename(tmp, path);
  } catch (err) {
    await rm(tmp, { force: true });
    throw err;
  }
}

/** Reads a file, or null when it does not exist. */
export async function readOptionalFile(path: string): Promise<string | null> {
  try {
    return await readFile(path, "utf8");
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === "ENOENT") return null;
    throw err;
  }
}
