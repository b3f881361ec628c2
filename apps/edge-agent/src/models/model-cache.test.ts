import { createHash } from "node:crypto";
import { mkdtemp, readdir, rm, writeFile } from "node:fs/promises";
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
});
