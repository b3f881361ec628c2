/**
 * Verified model files in `<state>/cache/<sha256>.onnx`, each with a `<sha256>.json` note of what it is. A cached
 * file is re-hashed before reuse; a download lands through a temp file and is only kept when its sha256 matches.
 */
import { createHash } from "node:crypto";
import { createReadStream } from "node:fs";
import { readdir, rm, stat, utimes } from "node:fs/promises";
import { join } from "node:path";
import { getObjectToFile } from "@edgewatt/nats";
import type { VariantManifest } from "@edgewatt/protocol";
import type { ObjectStore } from "@nats-io/obj";
import { z } from "zod";
import { AgentError } from "../errors";
import { ensurePrivateDir, readOptionalFile, writePrivateFile } from "../state/paths";

export const ZCachedVariant = z.object({
  sha256: z.string(),
  sizeBytes: z.number(),
  variant: z.string(),
  variantId: z.string(),
  objectName: z.string(),
  modelId: z.string(),
  modelName: z.string(),
  fetchedAt: z.string(),
});
export type CachedVariant = z.infer<typeof ZCachedVariant>;

export interface EnsureVariantOptions {
  modelId: string;
  modelName: string;
  onProgress?: (received: number, total: number) => void;
  /** Stops the download; what arrived stays in `<sha256>.onnx.part` and the next ensure() resumes from it. */
  signal?: AbortSignal;
}

export async function sha256File(path: string): Promise<string> {
  const hash = createHash("sha256");
  for await (const chunk of createReadStream(path)) hash.update(chunk as Buffer);
  return hash.digest("hex");
}

export interface ModelCacheOptions {
  /** Most bytes of model files kept; past it the least recently used unprotected files go. */
  maxBytes?: number;
  log?: { warn(obj: object, msg: string): void };
}

export class ModelCache {
  private protectedSha = new Set<string>();

  constructor(
    readonly dir: string,
    private readonly opts: ModelCacheOptions = {},
  ) {}

  get maxBytes(): number {
    return this.opts.maxBytes ?? Number.POSITIVE_INFINITY;
  }

  /** Files the current deployment serves from: never pruned (replaces the previous set). */
  protect(sha256s: Iterable<string>): void {
    this.protectedSha = new Set(sha256s);
  }

  /**
   * Deletes the least recently used files (by mtime, touched on every use) until the cache fits `maxBytes`
   * with room for `reserveBytes` more. Protected files stay even when they alone exceed the bound; the
   * return value says what was removed and whether the bound holds.
   */
  async prune(
    reserveBytes = 0,
    keep?: string,
  ): Promise<{ removed: string[]; totalBytes: number; fits: boolean }> {
    const limit = this.maxBytes - reserveBytes;
    const kept = (sha: string) => sha === keep || this.protectedSha.has(sha);
    const entries: Array<{ sha256: string; size: number; mtimeMs: number }> = [];
    for (const name of await readdir(this.dir).catch(() => [] as string[])) {
      if (!/^[0-9a-f]{64}\.onnx$/.test(name)) continue;
      const st = await stat(join(this.dir, name)).catch(() => null);
      if (st) entries.push({ sha256: name.slice(0, 64), size: st.size, mtimeMs: st.mtimeMs });
    }
    // Partial downloads count too; one that is not wanted now is only a resume point for an old assignment.
    for (const name of await readdir(this.dir).catch(() => [] as string[])) {
      const m = /^([0-9a-f]{64})\.onnx\.part$/.exec(name);
      if (!m) continue;
      const sha = m[1] as string;
      if (!kept(sha)) {
        await rm(join(this.dir, name), { force: true });
        await rm(join(this.dir, `${name}.json`), { force: true });
        continue;
      }
      const st = await stat(join(this.dir, name)).catch(() => null);
      if (st) entries.push({ sha256: sha, size: st.size, mtimeMs: Number.POSITIVE_INFINITY });
    }
    let total = entries.reduce((n, e) => n + e.size, 0);
    const removed: string[] = [];
    entries.sort((a, b) => a.mtimeMs - b.mtimeMs);
    for (const e of entries) {
      if (total <= limit) break;
      if (kept(e.sha256)) continue;
      await rm(this.pathFor(e.sha256), { force: true });
      await rm(join(this.dir, `${e.sha256}.json`), { force: true });
      total -= e.size;
      removed.push(e.sha256);
    }
    return { removed, totalBytes: total, fits: total <= limit };
  }

  pathFor(sha256: string): string {
    return join(this.dir, `${sha256}.onnx`);
  }

  /** True when a cached file exists and still hashes to `sha256`; a corrupted one is deleted. */
  async hasVerified(sha256: string): Promise<boolean> {
    const path = this.pathFor(sha256);
    try {
      await stat(path);
    } catch {
      return false;
    }
    if ((await sha256File(path)) === sha256) return true;
    await rm(path, { force: true });
    return false;
  }

  /** Returns a verified local path for the variant, downloading it from the object store when needed. */
  async ensure(
    store: ObjectStore | null,
    variant: VariantManifest,
    opts: EnsureVariantOptions,
  ): Promise<{ path: string; downloaded: boolean; resumedFromBytes: number }> {
    await ensurePrivateDir(this.dir);
    const path = this.pathFor(variant.sha256);
    if (await this.hasVerified(variant.sha256)) {
      const now = new Date();
      await utimes(path, now, now).catch(() => {});
      return { path, downloaded: false, resumedFromBytes: 0 };
    }
    if (!store) {
      throw new AgentError(
        "VARIANT_REJECTED",
        `variant ${variant.name} is not in the cache and NATS is unreachable; it is downloaded once the agent connects`,
      );
    }
    const pruned = await this.prune(variant.sizeBytes, variant.sha256);
    if (!pruned.fits) {
      this.opts.log?.warn(
        { maxBytes: this.maxBytes, totalBytes: pruned.totalBytes, needBytes: variant.sizeBytes },
        "model cache is over its bound with files in use; downloading anyway (raise cacheMaxMiB)",
      );
    }

    const info = await store.info(variant.objectName);
    if (!info) {
      throw new AgentError(
        "VARIANT_REJECTED",
        `variant ${variant.name}: object ${variant.objectName} is not in the store`,
      );
    }
    const declared = info.metadata?.sha256;
    if (declared !== variant.sha256) {
      throw new AgentError(
        "VARIANT_REJECTED",
        `variant ${variant.name}: sha256 mismatch — object ${variant.objectName} declares ${declared ?? "no sha256"}, ` +
          `the assignment expects ${variant.sha256}; refusing it`,
      );
    }
    let resumedFromBytes = 0;
    try {
      const got = await getObjectToFile(store, variant.objectName, path, {
        expectedSha256: variant.sha256,
        ...(opts.onProgress ? { onProgress: opts.onProgress } : {}),
        ...(opts.signal ? { signal: opts.signal } : {}),
      });
      resumedFromBytes = got.resumedFromBytes;
    } catch (cause) {
      if (opts.signal?.aborted) {
        throw new AgentError(
          "VARIANT_REJECTED",
          `variant ${variant.name}: download stopped (the agent is shutting down); it resumes on the next start`,
          { cause },
        );
      }
      const code = (cause as { code?: string }).code;
      const what = code === "SHA256_MISMATCH" ? "sha256 mismatch — " : "download failed — ";
      throw new AgentError(
        "VARIANT_REJECTED",
        `variant ${variant.name}: ${what}${(cause as Error).message}`,
        { cause },
      );
    }
    const note: CachedVariant = {
      sha256: variant.sha256,
      sizeBytes: variant.sizeBytes,
      variant: variant.name,
      variantId: variant.variantId,
      objectName: variant.objectName,
      modelId: opts.modelId,
      modelName: opts.modelName,
      fetchedAt: new Date().toISOString(),
    };
    await writePrivateFile(join(this.dir, `${variant.sha256}.json`), `${JSON.stringify(note, null, 2)}\n`);
    return { path, downloaded: true, resumedFromBytes };
  }

  /** Cached model files, with what they are when the note is readable. */
  async list(): Promise<Array<{ sha256: string; sizeBytes: number; note: CachedVariant | null }>> {
    const names = await readdir(this.dir).catch(() => [] as string[]);
    const out: Array<{ sha256: string; sizeBytes: number; note: CachedVariant | null }> = [];
    for (const name of names.filter((n) => /^[0-9a-f]{64}\.onnx$/.test(n)).sort()) {
      const sha256 = name.slice(0, 64);
      const size = await stat(join(this.dir, name)).then(
        (s) => s.size,
        () => 0,
      );
      const text = await readOptionalFile(join(this.dir, `${sha256}.json`)).catch(() => null);
      let note: CachedVariant | null = null;
      if (text) {
        try {
          const parsed = ZCachedVariant.safeParse(JSON.parse(text));
          note = parsed.success ? parsed.data : null;
        } catch {
          note = null;
        }
      }
      out.push({ sha256, sizeBytes: size, note });
    }
    return out;
  }
}
