import { createHash } from "node:crypto";
import { mkdtemp, readdir, rm, utimes, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { ModelCache, sha256File } from "./model-cache";

describe("model cache", () => {
  let dir: string;
  beforeEach(async () => {
    dir = await mkdtemp(join(tmpdir(), "ew-cache-"));
  });
  afterEach(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it("re-hashes a cached file before reuse and deletes one that no longer matches its name", async () => {
    const cache = new ModelCache(dir);
    const bytes = new TextEncoder().encode("model bytes");
    const sha = createHash("sha256").update(bytes).digest("hex");
    await writeFile(cache.pathFor(sha), bytes);
    expect(await sha256File(cache.pathFor(sha))).toBe(sha);
    expect(await cache.hasVerified(sha)).toBe(true);

    await writeFile(cache.pathFor(sha), "bit rot");
    expect(await cache.hasVerified(sha)).toBe(false);
    expect(await readdir(dir)).toEqual([]);
    expect(await cache.hasVerified("f".repeat(64))).toBe(false);
  });

  it("lists cached files, with their notes when present", async () => {
    const cache = new ModelCache(dir);
    const sha = "a".repeat(64);
    await writeFile(cache.pathFor(sha), "x");
    await writeFile(join(dir, "unrelated.txt"), "y");
    expect(await cache.list()).toEqual([{ sha256: sha, sizeBytes: 1, note: null }]);
  });

  it("prunes least recently used files past its bound, never the protected ones", async () => {
    const cache = new ModelCache(dir, { maxBytes: 250 });
    const shas = ["a", "b", "c"].map((c) => c.repeat(64));
    for (const [i, sha] of shas.entries()) {
      await writeFile(cache.pathFor(sha), Buffer.alloc(100));
      await writeFile(join(dir, `${sha}.json`), "{}");
      const t = new Date(Date.UTC(2026, 0, 1, 0, 0, i));
      await utimes(cache.pathFor(sha), t, t);
    }
    // a is the oldest but protected: b goes instead.
    cache.protect([shas[0] as string]);
    const first = await cache.prune();
    expect(first).toEqual({ removed: [shas[1]], totalBytes: 200, fits: true });
    expect((await readdir(dir)).sort()).toEqual(
      [`${shas[0]}.json`, `${shas[0]}.onnx`, `${shas[2]}.json`, `${shas[2]}.onnx`].sort(),
    );
    // Room for a 100-byte download: c goes; a stays even though the bound then still does not hold.
    const second = await cache.prune(100);
    expect(second).toEqual({ removed: [shas[2]], totalBytes: 100, fits: true });
    const third = await cache.prune(200);
    expect(third).toEqual({ removed: [], totalBytes: 100, fits: false });
  });
});
