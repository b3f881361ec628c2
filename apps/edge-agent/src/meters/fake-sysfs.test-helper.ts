/** Fake sysfs trees in a temp dir for the meter tests. */
import { mkdir, mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";

export interface FakeSysfs {
  root: string;
  /** Writes `<root>/<path>` (creating directories) with the value and a newline, as sysfs does. */
  set(path: string, value: string | number): Promise<void>;
  remove(): Promise<void>;
}

export async function createFakeSysfs(): Promise<FakeSysfs> {
  const root = await mkdtemp(join(tmpdir(), "edgewatt-sysfs-"));
  return {
    root,
    async set(path, value) {
      const full = join(root, path);
      await mkdir(dirname(full), { recursive: true });
      await writeFile(full, `${value}\n`);
    },
    remove: () => rm(root, { recursive: true, force: true }),
  };
}
