/**
 * Writes a set of files into a directory all-or-nothing. A new directory is staged under a temporary name
 * beside it and renamed into place once every file is written; into an existing directory, each file is
 * written under a temporary name and the files are renamed only when all are written.
 */
import { mkdir, mkdtemp, rename, rm, stat, unlink, writeFile } from "node:fs/promises";
import { basename, dirname, join, resolve } from "node:path";
import { InputFileError } from "./read-input";

export interface OutputFile {
  name: string;
  data: Uint8Array | string;
}

async function isDirectory(path: string): Promise<boolean> {
  try {
    const s = await stat(path);
    if (!s.isDirectory()) throw new InputFileError(`output path '${path}' exists and is not a directory`);
    return true;
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === "ENOENT") return false;
    throw error;
  }
}

export async function writeFilesAtomically(dir: string, files: readonly OutputFile[]): Promise<string[]> {
  const target = resolve(dir);
  if (!(await isDirectory(target))) {
    await mkdir(dirname(target), { recursive: true });
    const staging = await mkdtemp(join(dirname(target), `.${basename(target)}.tmp-`));
    try {
      for (const file of files) await writeFile(join(staging, file.name), file.data);
      await rename(staging, target);
    } catch (error) {
      await rm(staging, { recursive: true, force: true });
      throw error;
    }
    return files.map((f) => join(target, f.name));
  }
  const temps: string[] = [];
  try {
    for (const file of files) {
      const temp = join(target, `.${file.name}.${process.pid}.tmp`);
      temps.push(temp);
      await writeFile(temp, file.data);
    }
    const finals: string[] = [];
    for (const [i, file] of files.entries()) {
      const final = join(target, file.name);
      await rename(temps[i] as string, final);
      finals.push(final);
    }
    return finals;
  } catch (error) {
    await Promise.all(temps.map((t) => unlink(t).catch(() => undefined)));
    throw error;
  }
}
