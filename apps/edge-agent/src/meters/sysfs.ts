/** Reading Linux sysfs attribute files under an injectable root ("/sys" on a device, a temp tree in tests). */
import { readdir, readFile } from "node:fs/promises";

export const DEFAULT_SYS_ROOT = "/sys";

export interface SysfsOptions {
  /** Where sysfs is mounted; defaults to "/sys". Tests point it at a fake tree. */
  sysRoot?: string;
}

/** The trimmed text of one attribute file; throws the fs error (ENOENT, EACCES, …). */
export async function readSysText(path: string): Promise<string> {
  return (await readFile(path, "utf8")).trim();
}

/** One attribute as a finite number; throws when unreadable or not a number. */
export async function readSysNumber(path: string): Promise<number> {
  const text = await readSysText(path);
  const value = Number(text);
  if (text === "" || !Number.isFinite(value)) throw new Error(`${path}: expected a number, got "${text}"`);
  return value;
}

/** The attribute's text, or null when the file does not exist (other errors still throw). */
export async function findSysText(path: string): Promise<string | null> {
  try {
    return await readSysText(path);
  } catch (err) {
    if (errorCode(err) === "ENOENT") return null;
    throw err;
  }
}

/** Entry names of a sysfs directory, sorted; empty when the directory does not exist. */
export async function listSysDir(path: string): Promise<string[]> {
  try {
    return (await readdir(path)).sort((a, b) => a.localeCompare(b, "en", { numeric: true }));
  } catch (err) {
    if (errorCode(err) === "ENOENT" || errorCode(err) === "ENOTDIR") return [];
    throw err;
  }
}

/** Why a file could not be read, in words a user can act on. */
export function describeReadError(path: string, err: unknown): string {
  const code = errorCode(err);
  if (code === "EACCES" || code === "EPERM") {
    return `cannot read ${path}: permission denied (run the agent as root or grant it read access, e.g. with a udev rule)`;
  }
  if (code === "ENOENT") return `${path} not found`;
  return `cannot read ${path}: ${err instanceof Error ? err.message : String(err)}`;
}

function errorCode(err: unknown): string | undefined {
  return typeof err === "object" && err !== null && "code" in err ? String(err.code) : undefined;
}
