/**
 * A deployment as it serves: its ladder, its scheduling policy, the verified files of the variants it may run, and
 * the onnxruntime sessions loaded so far — lazily, keyed by (variant, threads), within a memory budget.
 *
 * Per request the agent asks the policy for a decision and then `acquire`s a session for it. When the decided
 * session is not warm yet it starts loading in the background and the request is served right away by the warm
 * session nearest to it on the ladder (the sample records what actually ran and why), so a request never waits
 * for a model load. Sessions past the budget are evicted least recently used first, never one in use and never
 * the last warm one. The memory figure per session is an estimate (2 × the file size + 8 MiB: weights, arena and
 * prepacked copies), stated as such in status.
 */
import type { LadderEntry, SchedulerDecision, SchedulerPolicy } from "@edgewatt/engine/scheduler";
import type { DeploymentAssignment, VariantManifest } from "@edgewatt/protocol";
import { errorMessage } from "../errors";
import type { LoadedModel } from "./load-session";
import type { Releasable } from "./slot";

const SESSION_OVERHEAD_BYTES = 8 * 1024 * 1024;
/** Weight of a new measurement in the per-variant energy average the policy sees. */
const ENERGY_EWMA_ALPHA = 0.1;

export function estimateSessionBytes(variant: VariantManifest): number {
  return variant.sizeBytes * 2 + SESSION_OVERHEAD_BYTES;
}

export interface SessionInfo {
  variant: string;
  threads: number;
  state: "loading" | "ready" | "failed";
  estimatedBytes: number;
  inUse: number;
  error: string | null;
  observedEnergyJ: number | null;
}

interface SessionEntry {
  key: string;
  variant: VariantManifest;
  threads: number;
  model: LoadedModel | null;
  loading: Promise<void> | null;
  failed: string | null;
  inUse: number;
  lastUsed: number;
  estimatedBytes: number;
}

export interface SessionUse {
  model: LoadedModel;
  /** The decided variant when another one served the request because the decided one was not warm. */
  substitutedFor: string | null;
  /** Ends the use; `energyJ` (when the run succeeded) feeds the per-variant energy average. */
  done(energyJ: number | null): void;
}

export interface ActiveDeploymentOptions {
  assignment: DeploymentAssignment;
  revision: number;
  policy: SchedulerPolicy;
  /** Verified model files by variant name (only these variants can run). */
  files: ReadonlyMap<string, string>;
  budgetBytes: number;
  load: (variant: VariantManifest, threads: number, path: string) => Promise<LoadedModel>;
  onLoaded?: (info: { variant: string; threads: number; ms: number }) => void;
  onFailed?: (info: { variant: string; threads: number; error: string }) => void;
  onEvicted?: (info: { variant: string; threads: number }) => void;
}

export class ActiveDeployment implements Releasable {
  readonly assignment: DeploymentAssignment;
  readonly revision: number;
  policy: SchedulerPolicy;
  /** The ladder as the policy sees it: only variants with a verified file. */
  readonly ladder: readonly LadderEntry[];
  /** This device's measured energy per inference (EWMA, J) per variant. */
  readonly observedEnergyJ = new Map<string, number>();
  private readonly entries = new Map<string, SessionEntry>();
  private readonly order: Map<string, number>;
  private released = false;

  constructor(private readonly opts: ActiveDeploymentOptions) {
    this.assignment = opts.assignment;
    this.revision = opts.revision;
    this.policy = opts.policy;
    const runnable = opts.assignment.ladder.filter((v) => opts.files.has(v.name));
    this.ladder = runnable.map((v) => ({
      name: v.name,
      fidelity: v.fidelity,
      sizeBytes: v.sizeBytes,
      energyJ: v.energyJ ?? null,
      latencyMs: v.latencyMs ?? null,
    }));
    this.order = new Map(runnable.map((v, i) => [v.name, i]));
  }

  get modelId(): string {
    return this.assignment.modelId;
  }

  /** Loads (if needed) and returns the session for `variant` at `threads`; throws when it cannot load. */
  async warm(variant: string, threads: number): Promise<LoadedModel> {
    const entry = this.entry(variant, threads);
    if (!entry) throw new Error(`variant ${variant} has no verified file on this device`);
    if (!entry.model && !entry.failed) this.startLoad(entry);
    if (entry.loading) await entry.loading;
    if (entry.model) return entry.model;
    throw new Error(entry.failed ?? `variant ${variant} did not load`);
  }

  /** A session for `decision`: the decided one when warm, else the warm one nearest on the ladder. */
  acquire(decision: SchedulerDecision): SessionUse | null {
    let entry = this.entry(decision.variant, decision.threads);
    let substitutedFor: string | null = null;
    if (entry && !entry.model) {
      if (!entry.loading && !entry.failed) this.startLoad(entry);
      entry = undefined;
    }
    if (!entry) {
      entry = this.nearestReady(decision.variant, decision.threads);
      if (!entry) return null;
      substitutedFor = decision.variant;
    }
    const model = entry.model;
    if (!model) return null;
    const used = entry;
    used.inUse++;
    used.lastUsed = performance.now();
    let ended = false;
    return {
      model,
      substitutedFor,
      done: (energyJ) => {
        if (ended) return;
        ended = true;
        used.inUse--;
        if (energyJ !== null && Number.isFinite(energyJ)) {
          const prev = this.observedEnergyJ.get(used.variant.name);
          this.observedEnergyJ.set(
            used.variant.name,
            prev === undefined ? energyJ : prev + ENERGY_EWMA_ALPHA * (energyJ - prev),
          );
        }
        if (this.released && used.inUse === 0) void this.releaseEntry(used);
      },
    };
  }

  /** Any warm session (for status and heartbeats: the one that served last). */
  get lastUsed(): LoadedModel | null {
    let best: SessionEntry | null = null;
    for (const e of this.entries.values()) {
      if (e.model && (!best || e.lastUsed > best.lastUsed)) best = e;
    }
    return best?.model ?? null;
  }

  sessions(): SessionInfo[] {
    return [...this.entries.values()].map((e) => ({
      variant: e.variant.name,
      threads: e.threads,
      state: e.model ? "ready" : e.failed ? "failed" : "loading",
      estimatedBytes: e.estimatedBytes,
      inUse: e.inUse,
      error: e.failed,
      observedEnergyJ: this.observedEnergyJ.get(e.variant.name) ?? null,
    }));
  }

  async release(): Promise<void> {
    this.released = true;
    await Promise.all([...this.entries.values()].map((e) => e.loading));
    await Promise.all([...this.entries.values()].map((e) => this.releaseEntry(e)));
  }

  private entry(variant: string, threads: number): SessionEntry | undefined {
    const key = `${variant}@${threads}`;
    const existing = this.entries.get(key);
    if (existing) return existing;
    const manifest = this.assignment.ladder.find((v) => v.name === variant);
    if (!manifest || !this.opts.files.has(variant)) return undefined;
    const created: SessionEntry = {
      key,
      variant: manifest,
      threads,
      model: null,
      loading: null,
      failed: null,
      inUse: 0,
      lastUsed: 0,
      estimatedBytes: estimateSessionBytes(manifest),
    };
    this.entries.set(key, created);
    return created;
  }

  private nearestReady(variant: string, threads: number): SessionEntry | undefined {
    const target = this.order.get(variant) ?? 0;
    let best: SessionEntry | undefined;
    let bestScore = Number.POSITIVE_INFINITY;
    for (const e of this.entries.values()) {
      if (!e.model) continue;
      const score =
        Math.abs((this.order.get(e.variant.name) ?? 0) - target) * 2 + (e.threads === threads ? 0 : 1);
      if (score < bestScore) {
        best = e;
        bestScore = score;
      }
    }
    return best;
  }

  private startLoad(entry: SessionEntry): void {
    const path = this.opts.files.get(entry.variant.name);
    if (!path) return;
    const t0 = performance.now();
    entry.loading = (async () => {
      try {
        this.makeRoom(entry);
        const model = await this.opts.load(entry.variant, entry.threads, path);
        if (this.released) {
          await model.session.release().catch(() => undefined);
          return;
        }
        entry.model = model;
        entry.lastUsed = performance.now();
        this.opts.onLoaded?.({
          variant: entry.variant.name,
          threads: entry.threads,
          ms: performance.now() - t0,
        });
      } catch (err) {
        entry.failed = errorMessage(err);
        this.opts.onFailed?.({ variant: entry.variant.name, threads: entry.threads, error: entry.failed });
      } finally {
        entry.loading = null;
      }
    })();
  }

  /** Evicts idle sessions, least recently used first, until `incoming` fits the budget (keeping one warm). */
  private makeRoom(incoming: SessionEntry): void {
    const resident = () => [...this.entries.values()].filter((e) => e !== incoming && (e.model || e.loading));
    const total = () => resident().reduce((sum, e) => sum + e.estimatedBytes, incoming.estimatedBytes);
    while (total() > this.opts.budgetBytes) {
      const ready = resident().filter((e) => e.model);
      const idle = ready.filter((e) => e.inUse === 0).sort((a, b) => a.lastUsed - b.lastUsed);
      const victim = idle[0];
      // Never evict the last warm session: an over-budget ladder still serves with one.
      if (!victim || ready.length <= 1) return;
      void this.releaseEntry(victim);
      this.opts.onEvicted?.({ variant: victim.variant.name, threads: victim.threads });
    }
  }

  private async releaseEntry(entry: SessionEntry): Promise<void> {
    const model = entry.model;
    if (!model || entry.inUse > 0) return;
    entry.model = null;
    this.entries.delete(entry.key);
    await model.session.release().catch(() => undefined);
  }
}
