/**
 * Model files and onnxruntime sessions shared by every virtual device: one verified file per sha256 (in one
 * ModelCache, downloaded once for the fleet), one session per (sha256, intra-op threads), each with one fixed input
 * (what the input holds does not change what a run costs). A device holds no session of its own.
 */
import { stat } from "node:fs/promises";
import { basename } from "node:path";
import type { Logger } from "@edgewatt/nats";
import type { VariantManifest } from "@edgewatt/protocol";
import type { ObjectStore } from "@nats-io/obj";
import { InferenceSession, type Tensor } from "onnxruntime-node";
import { AgentError, errorMessage } from "../errors";
import { RandomSource } from "../inputs/random-source";
import { type ModelCache, sha256File } from "../models/model-cache";
import { buildFeeds } from "../runtime/feeds";
import { loadSession } from "../runtime/load-session";

export interface SharedSession {
  sha256: string;
  threads: number;
  session: InferenceSession;
  /** The one input every run of this session is given. */
  feeds: Record<string, Tensor>;
}

interface Entry {
  ready: SharedSession | null;
  loading: Promise<SharedSession | null> | null;
  failed: string | null;
}

export interface SessionPoolStats {
  downloads: number;
  cacheHits: number;
  sessionsLoaded: number;
  sessionsFailed: number;
}

export class SessionPool {
  readonly stats: SessionPoolStats = { downloads: 0, cacheHits: 0, sessionsLoaded: 0, sessionsFailed: 0 };
  private readonly files = new Map<string, Promise<string>>();
  private readonly sessions = new Map<string, Entry>();
  private closed = false;

  constructor(private readonly opts: { cache: ModelCache; log: Logger }) {}

  /** A verified local file for `variant`, fetched from the object store once for the whole fleet. */
  ensureFile(
    store: ObjectStore,
    variant: VariantManifest,
    model: { modelId: string; modelName: string },
  ): Promise<string> {
    let file = this.files.get(variant.sha256);
    if (!file) {
      file = this.opts.cache.ensure(store, variant, model).then(({ path, downloaded }) => {
        if (downloaded) this.stats.downloads++;
        else this.stats.cacheHits++;
        return path;
      });
      // A failed fetch may be retried by the next assignment that needs it.
      file.catch(() => this.files.delete(variant.sha256));
      this.files.set(variant.sha256, file);
    }
    return file;
  }

  /** The warm session for (sha256, threads), or null (`warm` starts it). */
  ready(sha256: string, threads: number): SharedSession | null {
    return this.sessions.get(key(sha256, threads))?.ready ?? null;
  }

  /** Why the session for (sha256, threads) failed to load, if it did. */
  failure(sha256: string, threads: number): string | null {
    return this.sessions.get(key(sha256, threads))?.failed ?? null;
  }

  /** Loads (once) the session for `variant` at `threads` from `path`; null when it cannot load (logged once). */
  warm(variant: VariantManifest, path: string, threads: number): Promise<SharedSession | null> {
    const k = key(variant.sha256, threads);
    let entry = this.sessions.get(k);
    if (entry?.ready) return Promise.resolve(entry.ready);
    if (entry?.loading) return entry.loading;
    if (entry?.failed) return Promise.resolve(null);
    entry = { ready: null, loading: null, failed: null };
    this.sessions.set(k, entry);
    const e = entry;
    e.loading = (async () => {
      try {
        const loaded = await loadSession({
          path,
          deploymentId: "simulated",
          modelId: "simulated",
          variant,
          threads,
        });
        const shared: SharedSession = {
          sha256: variant.sha256,
          threads,
          session: loaded.session,
          feeds: buildFeeds(loaded.feeds, new RandomSource(0x51)),
        };
        if (this.closed) {
          await loaded.session.release().catch(() => undefined);
          return null;
        }
        e.ready = shared;
        this.stats.sessionsLoaded++;
        this.opts.log.info(
          { variant: variant.name, sha256: variant.sha256.slice(0, 12), threads },
          "shared session warm",
        );
        return shared;
      } catch (err) {
        e.failed = errorMessage(err);
        this.stats.sessionsFailed++;
        this.opts.log.error(
          { variant: variant.name, threads, err: e.failed },
          "variant cannot run in the simulator",
        );
        return null;
      } finally {
        e.loading = null;
      }
    })();
    return e.loading;
  }

  async close(): Promise<void> {
    this.closed = true;
    const entries = [...this.sessions.values()];
    await Promise.all(entries.map((e) => e.loading));
    await Promise.all(entries.map((e) => e.ready?.session.release().catch(() => undefined)));
    this.sessions.clear();
  }
}

function key(sha256: string, threads: number): string {
  return `${sha256}@${threads}`;
}

/**
 * A one-variant manifest for a local model file (`simulate --model FILE.onnx`): its inputs and outputs as
 * onnxruntime reads them. The variant is named after the file.
 */
export async function describeLocalModel(path: string): Promise<VariantManifest> {
  let session: InferenceSession;
  try {
    session = await InferenceSession.create(path, { intraOpNumThreads: 1, interOpNumThreads: 1 });
  } catch (cause) {
    throw new AgentError(
      "VARIANT_REJECTED",
      `--model ${path} does not load in onnxruntime: ${errorMessage(cause)}`,
      {
        cause,
      },
    );
  }
  try {
    const specs = (meta: readonly InferenceSession.ValueMetadata[]) =>
      meta.map((m) => ({
        name: m.name,
        elemType: m.isTensor ? m.type : "unknown",
        shape: m.isTensor ? m.shape.map((d) => (typeof d === "number" ? d : String(d))) : [],
      }));
    const { size } = await stat(path);
    const name =
      basename(path)
        .replace(/\.onnx$/i, "")
        .replace(/[^A-Za-z0-9._-]/g, "-")
        .slice(0, 64) || "local";
    return {
      variantId: "var_local",
      name,
      bucket: "local",
      objectName: path,
      sha256: await sha256File(path),
      sizeBytes: size,
      passes: [],
      inputs: specs(session.inputMetadata),
      outputs: specs(session.outputMetadata),
      fidelity: null,
      energyJ: null,
      latencyMs: null,
    };
  } finally {
    await session.release().catch(() => undefined);
  }
}
