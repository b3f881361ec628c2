/**
 * A real, tiny filesystem for disk-full tests: a tmpfs of a few KiB mounted on a directory (needs root, or
 * CAP_SYS_ADMIN). Tests skip — saying why — where mounting is not allowed.
 */
import { execFile } from "node:child_process";
import { mkdir, rm, unlink, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { promisify } from "node:util";

const run = promisify(execFile);

export interface TinyTmpfs {
  dir: string;
  /** Writes a filler file until the filesystem is full (ENOSPC); returns the bytes it took. */
  fill(): Promise<number>;
  /** Removes the filler: the space is back. */
  free(): Promise<void>;
  /** Remounts the filesystem read-only (EROFS from then on). */
  remountReadOnly(): Promise<void>;
  unmount(): Promise<void>;
}

/** Mounts a `sizeKiB` tmpfs on `dir` (created if needed); a string says why it could not. */
export async function mountTinyTmpfs(dir: string, sizeKiB = 64): Promise<TinyTmpfs | string> {
  await mkdir(dir, { recursive: true });
  try {
    await run("mount", ["-t", "tmpfs", "-o", `size=${sizeKiB}k,mode=0700`, "tmpfs", dir]);
  } catch (err) {
    const e = err as { stderr?: string; message: string; code?: string | number };
    const why = (e.stderr || e.message).trim();
    return `cannot mount a ${sizeKiB} KiB tmpfs on ${dir} (${why}) — these tests need root or CAP_SYS_ADMIN`;
  }
  const filler = join(dir, "filler.bin");
  let mounted = true;
  return {
    dir,
    async fill() {
      let written = 0;
      const chunk = new Uint8Array(1024);
      // Appending 1 KiB at a time until the kernel refuses: the filesystem is then really full.
      for (;;) {
        try {
          await writeFile(filler, chunk, { flag: "a" });
          written += chunk.length;
        } catch (err) {
          if ((err as NodeJS.ErrnoException).code === "ENOSPC") return written;
          throw err;
        }
      }
    },
    async free() {
      await unlink(filler).catch(() => undefined);
    },
    async remountReadOnly() {
      await run("mount", ["-o", "remount,ro", dir]);
    },
    async unmount() {
      if (!mounted) return;
      mounted = false;
      await run("umount", [dir]).catch(() => run("umount", ["-l", dir]));
      await rm(dir, { recursive: true, force: true });
    },
  };
}
