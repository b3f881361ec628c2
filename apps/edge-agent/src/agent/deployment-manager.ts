/**
 * Follows the device's assignment (KV DEPLOY): decodes each value, lets the scheduler policy pick a variant,
 * fetches and verifies it, loads it, and swaps it in. Anything wrong with an assignment or a variant is reported
 * and the model already serving keeps serving. Assignments are handled one at a time; when several arrive while
 * one is loading, only the newest is handled next.
 */
import type { Logger } from "@edgewatt/nats";
import {
  type DeploymentAssignment,
  type DeviceState,
  decode,
  ZDeploymentAssignment,
} from "@edgewatt/protocol";
import type { ObjectStore } from "@nats-io/obj";
import { errorMessage } from "../errors";
import type { ModelCache } from "../models/model-cache";
import { loadSession } from "../runtime/load-session";
import type { ModelSlot } from "../runtime/model-slot";
import { createPolicy } from "../scheduler/create-policy";
import { createProgressLine } from "./progress";
import type { AgentStats } from "./stats";

export interface AssignmentUpdate {
  operation: "PUT" | "DEL" | "PURGE";
  value: Uint8Array;
  revision: number;
  store: ObjectStore;
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
  slot: ModelSlot;
  stats: AgentStats;
  log: Logger;
  threads: number;
  progress: boolean;
  observe: () => { device: DeviceState; recentLatencyMs: readonly number[] };
  /** Called after every handled update (to write status). */
  onChange: () => void;
  reportError: (message: string) => void;
}

export class DeploymentManager {
  assignment: CurrentAssignment | null = null;
  activeSince: string | null = null;
  private next: AssignmentUpdate | null = null;
  private running: Promise<void> | null = null;
  private stopped = false;

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

  /** No further updates are handled; a variant finishing its load after this is released, not swapped in. */
  stop(): void {
    this.stopped = true;
    this.next = null;
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
      slot.swap(null);
      stats.activeVariant = null;
      this.activeSince = null;
      log.info({ revision: update.revision }, "assignment removed; no model is serving");
      return;
    }

    const decoded = decode(ZDeploymentAssignment, update.value);
    if (!decoded.ok) {
      return this.invalid(update.revision, decoded.error.message);
    }
    const assignment = decoded.value;
    if (assignment.orgId !== this.opts.orgId || assignment.deviceId !== this.opts.deviceId) {
      return this.invalid(
        update.revision,
        `assignment is addressed to ${assignment.orgId}/${assignment.deviceId}, not this device (${this.opts.orgId}/${this.opts.deviceId})`,
      );
    }
    this.assignment = { value: assignment, revision: update.revision, receivedAt: new Date().toISOString() };

    const { policy, fallbackReason } = createPolicy(assignment, { threads: this.opts.threads });
    if (fallbackReason) log.warn({ deploymentId: assignment.deploymentId }, fallbackReason);
    const observed = this.opts.observe();
    const decision = policy.decide({
      ladder: assignment.ladder,
      device: observed.device,
      priority: "normal",
      recentLatencyMs: observed.recentLatencyMs,
    });
    const variant = assignment.ladder.find((v) => v.name === decision.variant);
    if (!variant) {
      return this.invalid(
        update.revision,
        `policy chose variant ${decision.variant}, which is not on the ladder`,
      );
    }
    if (assignment.policy.variant && assignment.policy.variant !== variant.name) {
      log.warn(
        { wanted: assignment.policy.variant, ladder: assignment.ladder.map((v) => v.name) },
        `variant ${assignment.policy.variant} is not on the ladder; running ${variant.name}`,
      );
    }

    const current = slot.model;
    if (
      current &&
      current.variant.sha256 === variant.sha256 &&
      current.threads === decision.threads &&
      current.modelId === assignment.modelId
    ) {
      log.info(
        { deploymentId: assignment.deploymentId, variant: variant.name },
        "assignment updated; variant unchanged",
      );
      return;
    }

    log.info(
      {
        deploymentId: assignment.deploymentId,
        modelId: assignment.modelId,
        variant: variant.name,
        sha256: variant.sha256,
      },
      "deploying variant",
    );
    let path: string;
    let downloaded = false;
    const progress = this.opts.progress
      ? createProgressLine(`fetching ${assignment.modelName}/${variant.name}`)
      : null;
    try {
      const fetched = await this.opts.cache.ensure(update.store, variant, {
        modelId: assignment.modelId,
        modelName: assignment.modelName,
        ...(progress ? { onProgress: progress.onProgress } : {}),
      });
      path = fetched.path;
      downloaded = fetched.downloaded;
      if (fetched.downloaded) stats.downloads++;
      else stats.cacheHits++;
    } catch (err) {
      return this.rejected(variant.name, err);
    } finally {
      progress?.done();
    }

    let loaded: Awaited<ReturnType<typeof loadSession>>;
    try {
      loaded = await loadSession({
        path,
        deploymentId: assignment.deploymentId,
        modelId: assignment.modelId,
        variant,
        threads: decision.threads,
      });
    } catch (err) {
      return this.rejected(variant.name, err);
    }
    if (this.stopped) {
      await loaded.session.release().catch(() => undefined);
      return;
    }
    const previous = slot.swap(loaded);
    stats.variantsLoaded++;
    stats.activeVariant = variant.name;
    this.activeSince = new Date().toISOString();
    log.info(
      {
        deploymentId: assignment.deploymentId,
        variant: variant.name,
        threads: decision.threads,
        from: downloaded ? "download" : "cache",
        previous: previous ? previous.variant.name : null,
      },
      "variant serving",
    );
  }

  private invalid(revision: number, message: string): void {
    this.opts.stats.assignmentsInvalid++;
    this.opts.log.warn(
      { revision, err: message, serving: this.opts.slot.model?.variant.name ?? null },
      "assignment ignored; the current model keeps serving",
    );
    this.opts.reportError(`assignment revision ${revision} ignored: ${message}`);
  }

  private rejected(variant: string, err: unknown): void {
    this.opts.stats.variantsRejected++;
    const message = errorMessage(err);
    this.opts.log.error(
      { variant, err: message, serving: this.opts.slot.model?.variant.name ?? null },
      "variant rejected; the previous model keeps serving",
    );
    this.opts.reportError(message);
  }
}
