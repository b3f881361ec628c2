/**
 * Follows the device's assignment (KV DEPLOY): decodes each value, builds its scheduling policy (inline in the
 * assignment, or a versioned artifact read from KV POLICY), fetches and verifies the variants the policy may
 * choose, warms the one it would run now, and swaps the whole deployment in between requests. Anything wrong with
 * an assignment, a policy or a variant is reported and what already serves keeps serving. Assignments are handled
 * one at a time; when several arrive while one is loading, only the newest is handled next.
 */
import { createPolicy, type SchedulerPolicy } from "@edgewatt/engine/scheduler";
import type { Logger } from "@edgewatt/nats";
import {
  type DeploymentAssignment,
  decode,
  type PolicyArtifact,
  type VariantManifest,
  ZDeploymentAssignment,
  ZPolicyArtifact,
} from "@edgewatt/protocol";
import type { ObjectStore } from "@nats-io/obj";
import { errorMessage } from "../errors";
import type { ModelCache } from "../models/model-cache";
import { ActiveDeployment } from "../runtime/active-deployment";
import { loadSession } from "../runtime/load-session";
import type { Slot } from "../runtime/slot";
import { createProgressLine } from "./progress";
import type { AgentStats } from "./stats";

export interface AssignmentUpdate {
  operation: "PUT" | "DEL" | "PURGE";
  value: Uint8Array;
  revision: number;
  /** Null while offline: only variants already in the cache can be used. */
  store: ObjectStore | null;
  /** Reads a key of KV POLICY (null when absent) — for assignments that ship their policy separately. */
  readPolicy?: (key: string) => Promise<Uint8Array | null>;
  /** The policy artifact last read for this assignment (used when `readPolicy` is unavailable: offline). */
  cachedPolicy?: Uint8Array | null;
}

/** What is kept on disk of the assignment that serves, so a restart without a network serves it again. */
export interface PersistedAssignment {
  value: Uint8Array;
  revision: number;
  policy: Uint8Array | null;
}

export interface CurrentAssignment {
  value: DeploymentAssignment;
  revision: number;
  receivedAt: string;
}

export interface DeploymentManagerOptions {
  orgId: string;
  deviceId: string;
  cache: ModelCache;
  slot: Slot<ActiveDeployment>;
  stats: AgentStats;
  log: Logger;
  /** Intra-op threads of a static policy and of a rule policy's normal work. */
  threads: number;
  /** Most intra-op threads a policy may ask for. */
  maxThreads: number;
  /** Estimated memory the warm sessions of a deployment may take. */
  sessionBudgetBytes: number;
  progress: boolean;
  /** The policy's view of "now" when it picks the variant to warm first. */
  observeNormal: (deployment: ActiveDeployment) => Parameters<SchedulerPolicy["decide"]>[0];
  /** Called after every handled update (to write status). */
  onChange: () => void;
  reportError: (message: string) => void;
  /** Keeps the serving assignment on disk (null: removed). */
  persist?: (record: PersistedAssignment | null) => Promise<void>;
}

export class DeploymentManager {
  assignment: CurrentAssignment | null = null;
  activeSince: string | null = null;
  /** Why the running policy is not the one the assignment asked for, when it is not. */
  policyNote: string | null = null;
  private next: AssignmentUpdate | null = null;
  private running: Promise<void> | null = null;
  private stopped = false;
  private readonly downloads = new AbortController();
  private fingerprint: string | null = null;
  private persisted: PersistedAssignment | null = null;

  constructor(private readonly opts: DeploymentManagerOptions) {}

  submit(update: AssignmentUpdate): void {
    this.next = update;
    this.running ??= this.run().finally(() => {
      this.running = null;
    });
  }

  /** Resolves once every submitted update has been handled. */
  async idle(): Promise<void> {
    while (this.running) await this.running;
  }

  /** No further updates are handled; a deployment finishing its load after this is released, not swapped in. */
  stop(): void {
    this.stopped = true;
    this.next = null;
    // A download under way stops; its partial file is the resume point of the next start.
    this.downloads.abort(new Error("the agent is stopping"));
  }

  /**
   * A new version of the policy artifact the current assignment points at (KV POLICY watch). A malformed or
   * deleted artifact is reported and the policy in force stays: a bad update must not change how the device runs.
   */
  policyUpdated(key: string, value: Uint8Array | null): void {
    const current = this.opts.slot.value;
    const assignment = this.assignment?.value;
    if (!current || !assignment || assignment.policy.key !== key) return;
    const built = this.buildPolicy(assignment, value, key);
    if (!built.fromArtifact) {
      this.policyNote = `${built.note ?? "policy update refused"}; still running ${current.policy.mode} policy version ${current.policy.version ?? "-"}`;
      this.opts.log.warn({ key, note: this.policyNote }, "policy update refused");
      this.opts.reportError(this.policyNote);
      this.opts.onChange();
      return;
    }
    current.policy = built.policy;
    this.policyNote = built.note;
    if (this.persisted) {
      this.persisted = { ...this.persisted, policy: value };
      void this.save(this.persisted);
    }
    this.opts.log.info({ key, mode: built.policy.mode, version: built.policy.version }, "policy updated");
    this.opts.onChange();
  }

  private async run(): Promise<void> {
    while (this.next && !this.stopped) {
      const update = this.next;
      this.next = null;
      try {
        await this.handle(update);
      } catch (err) {
        this.opts.log.error({ err: errorMessage(err) }, "assignment handling failed");
        this.opts.reportError(errorMessage(err));
      }
      this.opts.onChange();
    }
  }

  private async handle(update: AssignmentUpdate): Promise<void> {
    const { stats, log, slot } = this.opts;
    stats.assignmentsSeen++;
    if (update.operation !== "PUT") {
      stats.assignmentsRemoved++;
      this.assignment = null;
      this.fingerprint = null;
      slot.swap(null);
      stats.activeVariant = null;
      this.activeSince = null;
      await this.opts.persist?.(null).catch(() => undefined);
      log.info({ revision: update.revision }, "assignment removed; no model is serving");
      return;
    }

    const decoded = decode(ZDeploymentAssignment, update.value);
    if (!decoded.ok) return this.invalid(update.revision, decoded.error.message);
    const assignment = decoded.value;
    if (assignment.orgId !== this.opts.orgId || assignment.deviceId !== this.opts.deviceId) {
      return this.invalid(
        update.revision,
        `assignment is addressed to ${assignment.orgId}/${assignment.deviceId}, not this device (${this.opts.orgId}/${this.opts.deviceId})`,
      );
    }

    let policyBytes: Uint8Array | null = null;
    const policyKey = assignment.policy.key;
    if (policyKey) {
      try {
        policyBytes = update.readPolicy ? await update.readPolicy(policyKey) : (update.cachedPolicy ?? null);
      } catch (err) {
        log.warn({ key: policyKey, err: errorMessage(err) }, "cannot read the assignment's policy");
      }
    }
    const { policy, note } = this.buildPolicy(assignment, policyBytes, policyKey);

    const fingerprint = JSON.stringify([
      assignment.deploymentId,
      assignment.modelId,
      assignment.ladder.map((v) => v.sha256),
      policy.mode,
      policy.policyId,
      policy.version,
      assignment.policy,
    ]);
    this.assignment = { value: assignment, revision: update.revision, receivedAt: new Date().toISOString() };
    if (fingerprint === this.fingerprint && slot.value) {
      log.info({ deploymentId: assignment.deploymentId }, "assignment updated; nothing to change");
      return;
    }

    // A static policy runs one variant; the others only cost a download when a policy may switch to them.
    const needed = policy.mode === "static" ? [this.staticChoice(assignment, policy)] : assignment.ladder;
    // While the new ladder downloads, neither it nor what is serving may be pruned from the bounded cache.
    const serving = slot.value?.assignment.ladder.map((v) => v.sha256) ?? [];
    this.opts.cache.protect([...serving, ...needed.map((v) => v.sha256)]);
    const files = new Map<string, string>();
    for (const variant of needed) {
      const path = await this.fetch(update.store, assignment, variant);
      if (path) files.set(variant.name, path);
    }
    if (files.size === 0) {
      log.error(
        { deploymentId: assignment.deploymentId, serving: this.servingName() },
        "no variant of the assignment could be fetched; what was serving keeps serving",
      );
      return;
    }

    const deployment = new ActiveDeployment({
      assignment,
      revision: update.revision,
      policy,
      files,
      budgetBytes: this.opts.sessionBudgetBytes,
      load: (variant, threads, path) =>
        loadSession({
          path,
          deploymentId: assignment.deploymentId,
          modelId: assignment.modelId,
          variant,
          threads,
        }),
      onLoaded: (i) => {
        stats.variantsLoaded++;
        log.info({ ...i, ms: Math.round(i.ms) }, "variant warm");
      },
      onFailed: (i) => {
        stats.variantsRejected++;
        log.error({ ...i, serving: this.servingName() }, "variant rejected; other variants keep serving");
        this.opts.reportError(i.error);
      },
      onEvicted: (i) => log.info(i, "variant session evicted (session memory budget)"),
    });

    // Warm what the policy would run now; if it cannot load, the next one on the ladder that can.
    const first = policy.decide(this.opts.observeNormal(deployment));
    const candidates = [
      first.variant,
      ...deployment.ladder.map((v) => v.name).filter((n) => n !== first.variant),
    ];
    let warmed: string | null = null;
    for (const name of candidates) {
      try {
        await deployment.warm(name, first.threads);
        warmed = name;
        break;
      } catch {
        // reported through onFailed
      }
    }
    if (!warmed) {
      await deployment.release();
      log.error(
        { deploymentId: assignment.deploymentId, serving: this.servingName() },
        "no variant of the assignment loads; what was serving keeps serving",
      );
      return;
    }
    if (this.stopped) {
      await deployment.release();
      return;
    }
    this.opts.cache.protect(needed.map((v) => v.sha256));
    const previous = slot.swap(deployment);
    // Served offline from the cache: the next update from the broker deploys again, fetching what was missing.
    this.fingerprint = update.store ? fingerprint : null;
    this.persisted = { value: update.value, revision: update.revision, policy: policyBytes };
    await this.save(this.persisted);
    this.policyNote = note;
    stats.activeVariant = warmed;
    this.activeSince = new Date().toISOString();
    log.info(
      {
        deploymentId: assignment.deploymentId,
        modelId: assignment.modelId,
        policy: policy.mode,
        policyVersion: policy.version,
        variants: [...files.keys()],
        warm: `${warmed}@${first.threads}`,
        previous: previous ? previous.assignment.deploymentId : null,
      },
      "deployment serving",
    );
  }

  private async save(record: PersistedAssignment): Promise<void> {
    await this.opts
      .persist?.(record)
      .catch((err: unknown) =>
        this.opts.log.warn({ err: errorMessage(err) }, "cannot keep the assignment on disk"),
      );
  }

  private buildPolicy(
    assignment: DeploymentAssignment,
    artifactBytes: Uint8Array | null,
    key: string | undefined,
  ): { policy: SchedulerPolicy; note: string | null; fromArtifact: boolean } {
    let source: PolicyArtifact | { mode: DeploymentAssignment["policy"]["mode"]; variant?: string } =
      assignment.policy.artifact ?? {
        mode: assignment.policy.mode,
        ...(assignment.policy.variant ? { variant: assignment.policy.variant } : {}),
      };
    let note: string | null = null;
    let fromArtifact = false;
    if (key) {
      if (!artifactBytes) {
        note = `policy ${key} is not in KV POLICY`;
      } else {
        const artifact = decode(ZPolicyArtifact, artifactBytes);
        if (artifact.ok) {
          source = artifact.value;
          fromArtifact = true;
        } else note = `policy ${key} is malformed: ${artifact.error.message}`;
      }
    }
    const built = createPolicy(source, { threads: this.opts.threads, maxThreads: this.opts.maxThreads });
    const reason = [note, built.fallbackReason].filter(Boolean).join("; ") || null;
    if (reason) {
      this.opts.log.warn({ deploymentId: assignment.deploymentId, policy: built.policy.mode }, reason);
      this.opts.reportError(reason);
    }
    return { policy: built.policy, note: reason, fromArtifact: fromArtifact && !built.fallbackReason };
  }

  private staticChoice(assignment: DeploymentAssignment, policy: SchedulerPolicy): VariantManifest {
    const ladder = assignment.ladder.map((v) => ({
      name: v.name,
      fidelity: v.fidelity,
      sizeBytes: v.sizeBytes,
      energyJ: v.energyJ ?? null,
      latencyMs: v.latencyMs ?? null,
    }));
    const name = policy.decide({
      ladder,
      priority: "normal",
      batteryPct: null,
      batteryTrendPctPerHour: null,
      powerState: "unknown",
      queueDepth: 0,
      recentLatencyMsP50: null,
      observedEnergyJ: new Map(),
    }).variant;
    if (assignment.policy.variant && assignment.policy.variant !== name) {
      this.opts.log.warn(
        { wanted: assignment.policy.variant, ladder: assignment.ladder.map((v) => v.name) },
        `variant ${assignment.policy.variant} is not on the ladder; running ${name}`,
      );
    }
    return assignment.ladder.find((v) => v.name === name) ?? (assignment.ladder[0] as VariantManifest);
  }

  private async fetch(
    store: ObjectStore | null,
    assignment: DeploymentAssignment,
    variant: VariantManifest,
  ): Promise<string | null> {
    const progress = this.opts.progress
      ? createProgressLine(`fetching ${assignment.modelName}/${variant.name}`)
      : null;
    try {
      const fetched = await this.opts.cache.ensure(store, variant, {
        modelId: assignment.modelId,
        modelName: assignment.modelName,
        ...(progress ? { onProgress: progress.onProgress } : {}),
        signal: this.downloads.signal,
      });
      if (fetched.resumedFromBytes > 0) {
        this.opts.log.info(
          { variant: variant.name, resumedFromBytes: fetched.resumedFromBytes, sizeBytes: variant.sizeBytes },
          "download resumed where an earlier attempt stopped",
        );
      }
      if (fetched.downloaded) this.opts.stats.downloads++;
      else this.opts.stats.cacheHits++;
      return fetched.path;
    } catch (err) {
      this.rejected(variant.name, err);
      return null;
    } finally {
      progress?.done();
    }
  }

  private servingName(): string | null {
    return this.opts.slot.value?.lastUsed?.variant.name ?? null;
  }

  private invalid(revision: number, message: string): void {
    this.opts.stats.assignmentsInvalid++;
    this.opts.log.warn(
      { revision, err: message, serving: this.servingName() },
      "assignment ignored; the current model keeps serving",
    );
    this.opts.reportError(`assignment revision ${revision} ignored: ${message}`);
  }

  private rejected(variant: string, err: unknown): void {
    this.opts.stats.variantsRejected++;
    const message = errorMessage(err);
    this.opts.log.error(
      { variant, err: message, serving: this.servingName() },
      "variant rejected; the previous model keeps serving",
    );
    this.opts.reportError(message);
  }
}
