/** Writes a set of files into a directory all-or-nothing: temp names first, renamed only when all are written. */
import { mkdir, readdir, rename, rmdir, unlink, writeFile } from "node:fs/promises";
import { join } from "node:path";

export interface OutputFile {
  name: string;
  data: Uint8Array | string;
}

export async function writeFilesAtomically(dir: string, files: readonly OutputFile[]): Promise<string[]> {
  const created = await mkdir(dir, { recursive: true });
  const temps: string[] = [];
  try {
    for (const file of files) {
      const temp = join(dir, `.${file.name}.${process.pid}.tmp`);
      temps.push(temp);
      await writeFile(temp, file.data);
    }
    const finals: string[] = [];
    for (const [i, file] of files.entries()) {
      const target = join(dir, file.name);
      await rename(temps[i] as string, target);
      finals.push(target);
    }
    return finals;
  } catch (error) {
    await Promise.all(temps.map((t) => unlink(t).catch(() => undefined)));
    if (created && (await readdir(dir).catch(() => ["?"])).length === 0)
      await rmdir(dir).catch(() => undefined);
    throw error;
  }
}
