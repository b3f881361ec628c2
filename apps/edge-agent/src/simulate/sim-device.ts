/**
 * One virtual device of `edgewatt-agent simulate`: its own identity, boot, NATS connection, DEPLOY assignment,
 * battery and power trace (the engine's VirtualDevice), request queue, TelemetryPublisher and on-disk outbox —
 * everything a real agent has except the model sessions (shared by the fleet) and the clock (the fleet's ticker
 * drives every device). Everything it reports is labelled simulated.
 */
import { randomBytes } from "node:crypto";
import { join } from "node:path";
import type { ObservedState } from "@edgewatt/engine/scheduler";
import type { SimPriority, VirtualDevice } from "@edgewatt/engine/sim";
import { connectNats, type Logger, type NatsConnection } from "@edgewatt/nats";
import { type DeviceState, decode, encode, ZDeploymentAssignment, ZHeartbeat } from "@edgewatt/protocol";
import { jetstream } from "@nats-io/jetstream";
import { Kvm } from "@nats-io/kv";
import { type ObjectStore, Objm } from "@nats-io/obj";
import { errorMessage } from "../errors";
import type { Identity } from "../state/identity";
import { Outbox } from "../telemetry/outbox";
import { TelemetryPublisher } from "../telemetry/telemetry-publisher";
import { AGENT_VERSION } from "../version";
import type { ComputeLane } from "./compute-lane";
import type { SessionPool, SharedSession } from "./session-pool";
import {
  buildDeployment,
  ladderEntry,
  policyForAssignment,
  type SimDeployment,
  staticChoice,
} from "./sim-deployment";

/** Requests a device queues before it drops new ones. */
const QUEUE_CAPACITY = 16;
const LATENCY_WINDOW = 16;
/** Weight of a new measurement in the per-variant energy average the policy sees (as in the agent). */
const ENERGY_EWMA_ALPHA = 0.1;
/** A golden-ratio spread of per-device timer phases, so 500 devices do not flush or beat at once. */
const PHASE = 0.6180339887;

export const SIM_AGENT_VERSION = `${AGENT_VERSION}+sim`;

/** Counters of the whole fleet, updated in place by every device. */
export interface FleetCounters {
  connected: number;
  inferences: number;
  inferenceErrors: number;
  /** Requests dropped because the device's queue was full. */
  requestsDropped: number;
  /** Requests that could not be served: no assignment yet, or no variant warm. */
  notServed: number;
  /** Requests still queued at shutdown. */
  abandoned: number;
  /** Inferences that ran another variant than the decided one (which was still warming). */
  substituted: number;
  periodicSamples: number;
  heartbeats: number;
  assignmentsSeen: number;
  assignmentsInvalid: number;
  inferenceEnergyJ: number;
  periodicEnergyJ: number;
}

export function newFleetCounters(): FleetCounters {
  return {
    connected: 0,
    inferences: 0,
    inferenceErrors: 0,
    requestsDropped: 0,
    notServed: 0,
    abandoned: 0,
    substituted: 0,
    periodicSamples: 0,
    heartbeats: 0,
    assignmentsSeen: 0,
    assignmentsInvalid: 0,
    inferenceEnergyJ: 0,
    periodicEnergyJ: 0,
  };
}

/** What every device shares. */
export interface FleetShared {
  lane: ComputeLane;
  /** Null with `--compute none`. */
  pool: SessionPool | null;
  /** `--model`: the one deployment every device serves (no DEPLOY watch). */
  local: SimDeployment | null;
  computeNone: boolean;
  /** `--compute none`: the host time a run stands for when the ladder has no latency figure. */
  nominalMs: number;
  threads: number;
  maxThreads: number;
  flushMs: number;
  periodicMs: number;
  heartbeatMs: number;
  outboxMax: number;
  counters: FleetCounters;
  log: Logger;
  /** Aborted when the fleet stops (ends waits and retries). */
  signal: AbortSignal;
}

export interface SimDeviceOptions {
  index: number;
  identity: Identity;
  /** The device's state directory (`<state>/sim/<index>`). */
  dir: string;
  profileId: string;
  model: VirtualDevice;
  shared: FleetShared;
  startWallMs: number;
}

interface AssignmentUpdate {
  operation: string;
  value: Uint8Array;
  revision: number;
  store: ObjectStore | null;
  readPolicy: (key: string) => Promise<Uint8Array | null>;
}

export class SimDevice {
  readonly index: number;
  readonly identity: Identity;
  readonly boot: string;
  readonly model: VirtualDevice;
  readonly outbox: Outbox;
  readonly publisher: TelemetryPublisher;
  readonly batteryStartPct: number | null;
  readonly profileId: string;
  private readonly shared: FleetShared;
  private readonly log: Logger;
  private readonly startedAtMs: number;
  private deployment: SimDeployment | null;
  private readonly observedEnergyJ = new Map<string, number>();
  private readonly queueP: SimPriority[] = [];
  private readonly queueT: number[] = [];
  private serving: Promise<void> | null = null;
  private readonly latencies = new Float64Array(LATENCY_WINDOW);
  private latencyCount = 0;
  private p50: number | null = null;
  private lastVariant: string | null = null;
  private nextPeriodicMs: number;
  private nextHeartbeatMs: number;
  private nc: NatsConnection | null = null;
  private connection: Promise<void> | null = null;
  private stopWatch: (() => void) | null = null;
  private startTimer: NodeJS.Timeout | null = null;
  private stopped = false;
  private nextUpdate: AssignmentUpdate | null = null;
  private handling: Promise<void> | null = null;

  private constructor(opts: SimDeviceOptions, outbox: Outbox, boot: string) {
    this.index = opts.index;
    this.profileId = opts.profileId;
    this.identity = opts.identity;
    this.model = opts.model;
    this.shared = opts.shared;
    this.outbox = outbox;
    this.boot = boot;
    this.startedAtMs = opts.startWallMs;
    this.deployment = opts.shared.local;
    this.batteryStartPct = opts.model.state().batteryPct;
    const device = opts.index;
    const base = opts.shared.log;
    this.log = {
      info: (obj, msg) => base.info({ device, ...obj }, msg),
      warn: (obj, msg) => base.warn({ device, ...obj }, msg),
      error: (obj, msg) => base.error({ device, ...obj }, msg),
    };
    this.publisher = new TelemetryPublisher({
      outbox,
      orgId: opts.identity.orgId,
      deviceId: opts.identity.deviceId,
      boot,
      subject: opts.identity.subjects.telemetry,
      log: this.log,
      flushMs: opts.shared.flushMs,
      simulated: true,
    });
    const phase = (opts.index * PHASE) % 1;
    this.nextPeriodicMs = opts.startWallMs + opts.shared.periodicMs * (0.5 + phase);
    this.nextHeartbeatMs = opts.startWallMs + opts.shared.heartbeatMs * phase;
  }

  static async open(opts: SimDeviceOptions): Promise<SimDevice> {
    const outbox = await Outbox.open(join(opts.dir, "outbox"), { maxEntries: opts.shared.outboxMax });
    const boot = `${Date.now().toString(36)}-${randomBytes(5).toString("hex")}`;
    return new SimDevice(opts, outbox, boot);
  }

  get connected(): boolean {
    return this.nc !== null && !this.nc.isClosed();
  }

  get queueDepth(): number {
    return this.queueP.length;
  }

  /** Connects (retrying in the background) and starts the publisher, its flushes phased per device. */
  start(): void {
    this.connection = this.connectionLoop();
    const phase = (this.index * PHASE) % 1;
    this.startTimer = setTimeout(() => {
      this.startTimer = null;
      if (!this.stopped) this.publisher.start();
    }, this.shared.flushMs * phase);
    this.startTimer.unref();
  }

  /** One step of the fleet's clock: battery, arrivals, serving, periodic sample, heartbeat. */
  tick(nowMs: number): void {
    if (this.stopped) return;
    const model = this.model;
    model.advance(nowMs);
    model.arrivals(nowMs, (priority) => this.enqueue(priority, nowMs));
    this.pump();
    if (nowMs >= this.nextPeriodicMs) {
      this.nextPeriodicMs += this.shared.periodicMs;
      if (this.nextPeriodicMs < nowMs) this.nextPeriodicMs = nowMs + this.shared.periodicMs;
      this.recordPeriodic(nowMs);
    }
    if (nowMs >= this.nextHeartbeatMs) {
      this.nextHeartbeatMs += this.shared.heartbeatMs;
      if (this.nextHeartbeatMs < nowMs) this.nextHeartbeatMs = nowMs + this.shared.heartbeatMs;
      if (model.state().on) this.sendHeartbeat(nowMs);
    }
  }

  /** Stops taking requests and waits for the one being served; queued requests are abandoned (counted). */
  async stopServing(): Promise<void> {
    this.stopped = true;
    if (this.startTimer) clearTimeout(this.startTimer);
    this.startTimer = null;
    this.shared.counters.abandoned += this.queueP.length;
    this.queueP.length = 0;
    this.queueT.length = 0;
    while (this.serving) await this.serving;
  }

  /** The last periodic interval (up to now), so the samples cover the whole run. */
  recordFinalPeriodic(nowMs: number): void {
    this.model.advance(nowMs);
    this.recordPeriodic(nowMs);
  }

  /** Flushes the publisher and empties the outbox within `drainMs`; what is left stays on disk. */
  async flush(drainMs: number): Promise<void> {
    await this.publisher.stop(drainMs);
  }

  /** Closes the connection (after `flush`). */
  async disconnect(): Promise<void> {
    this.stopWatch?.();
    const conn = this.nc;
    if (conn && !conn.isClosed()) await conn.drain().catch(() => conn.close());
    await this.connection;
    await this.handling;
  }

  // ---------------------------------------------------------------- serving

  private enqueue(priority: SimPriority, nowMs: number): void {
    if (this.queueP.length >= QUEUE_CAPACITY) {
      this.shared.counters.requestsDropped++;
      return;
    }
    this.queueP.push(priority);
    this.queueT.push(nowMs);
  }

  private pump(): void {
    if (this.serving || this.stopped || this.queueP.length === 0) return;
    this.serving = this.serveNext().finally(() => {
      this.serving = null;
      this.pump();
    });
  }

  /** Takes the oldest request of the highest priority waiting. */
  private take(): { priority: SimPriority; enqueuedAt: number } | null {
    let pick = -1;
    for (let i = 0; i < this.queueP.length; i++) {
      const p = this.queueP[i];
      if (p === "critical") {
        pick = i;
        break;
      }
      if (p === "normal" && (pick < 0 || this.queueP[pick] === "background")) pick = i;
      else if (pick < 0) pick = i;
    }
    if (pick < 0) return null;
    const priority = this.queueP.splice(pick, 1)[0] as SimPriority;
    const enqueuedAt = this.queueT.splice(pick, 1)[0] as number;
    return { priority, enqueuedAt };
  }

  private observe(deployment: SimDeployment, priority: SimPriority): ObservedState {
    const st = this.model.state();
    return {
      ladder: deployment.ladder,
      priority,
      batteryPct: st.batteryPct,
      batteryTrendPctPerHour: st.batteryTrendPctPerHour,
      powerState: st.powerState,
      queueDepth: this.queueP.length,
      recentLatencyMsP50: this.p50,
      observedEnergyJ: this.observedEnergyJ,
    };
  }

  private async serveNext(): Promise<void> {
    const req = this.take();
    if (!req) return;
    const { counters } = this.shared;
    const deployment = this.deployment;
    if (!deployment || deployment.ladder.length === 0) {
      counters.notServed++;
      return;
    }
    try {
      const decision = deployment.policy.decide(this.observe(deployment, req.priority));
      let variant = decision.variant;
      let threads = decision.threads;
      let wanted: string | null = null;
      let hostCpuMs: number;
      let hostWallMs: number;
      let ok = true;
      const ts = Date.now();
      if (this.shared.computeNone) {
        const nominal = deployment.manifests.get(variant)?.latencyMs ?? this.shared.nominalMs;
        hostCpuMs = nominal;
        hostWallMs = nominal;
      } else {
        const chosen = this.session(deployment, variant, threads);
        if (!chosen) {
          counters.notServed++;
          return;
        }
        if (chosen.variant !== variant || chosen.session.threads !== threads) {
          wanted = variant;
          variant = chosen.variant;
          threads = chosen.session.threads;
          counters.substituted++;
        }
        const s = chosen.session;
        const run = await this.shared.lane.run(() => s.session.run(s.feeds));
        hostCpuMs = run.cpuMs;
        hostWallMs = run.wallMs;
        ok = run.ok;
        if (!run.ok) {
          counters.inferenceErrors++;
          if (counters.inferenceErrors % 100 === 1) {
            this.log.error({ variant, err: errorMessage(run.error) }, "inference failed");
          }
        }
      }
      const energy = this.model.runEnergy(hostCpuMs, hostWallMs, threads);
      this.model.consume(energy);
      const latencyMs = energy.deviceWallS * 1000;
      if (ok) {
        counters.inferences++;
        counters.inferenceEnergyJ += energy.energyJ;
        this.noteLatency(latencyMs);
        const prev = this.observedEnergyJ.get(variant);
        this.observedEnergyJ.set(
          variant,
          prev === undefined ? energy.energyJ : prev + ENERGY_EWMA_ALPHA * (energy.energyJ - prev),
        );
      }
      this.lastVariant = variant;
      const reasonParts = [decision.reason];
      if (wanted) reasonParts.push(`${wanted} warming`);
      if (this.shared.computeNone) reasonParts.push("compute none");
      this.publisher.record({
        ts,
        kind: "inference",
        energyJ: energy.energyJ,
        energySource: "simulated",
        durationMs: latencyMs,
        modelId: deployment.modelId,
        variant,
        threads,
        priority: req.priority,
        ok,
        state: this.deviceState(),
        decision: {
          reason: reasonParts.join("; ").slice(0, 128),
          policy: deployment.policy.mode,
          policyVersion: deployment.policy.version,
          wanted,
        },
      });
    } catch (err) {
      counters.inferenceErrors++;
      this.log.error({ err: errorMessage(err) }, "simulated request failed before running");
    }
  }

  /** The warm shared session for the decision, else the warm one nearest on the ladder (starting the decided one). */
  private session(
    deployment: SimDeployment,
    variant: string,
    threads: number,
  ): { variant: string; session: SharedSession } | null {
    const pool = this.shared.pool;
    if (!pool) return null;
    const manifest = deployment.manifests.get(variant);
    if (manifest) {
      const ready = pool.ready(manifest.sha256, threads);
      if (ready) return { variant, session: ready };
      const path = deployment.files.get(variant);
      if (path && !pool.failure(manifest.sha256, threads)) void pool.warm(manifest, path, threads);
    }
    const ladder = deployment.ladder;
    const target = Math.max(
      0,
      ladder.findIndex((v) => v.name === variant),
    );
    for (let d = 0; d < ladder.length; d++) {
      for (const i of d === 0 ? [target] : [target - d, target + d]) {
        const entry = ladder[i];
        const m = entry ? deployment.manifests.get(entry.name) : undefined;
        if (!entry || !m) continue;
        const ready = pool.ready(m.sha256, threads) ?? pool.ready(m.sha256, this.shared.threads);
        if (ready) return { variant: entry.name, session: ready };
      }
    }
    return null;
  }

  private noteLatency(ms: number): void {
    this.latencies[this.latencyCount % LATENCY_WINDOW] = ms;
    this.latencyCount++;
    if (this.latencyCount % 8 === 0 || this.latencyCount < 8) {
      const n = Math.min(this.latencyCount, LATENCY_WINDOW);
      const sorted = Array.from(this.latencies.subarray(0, n)).sort((a, b) => a - b);
      this.p50 = sorted[Math.floor((n - 1) / 2)] ?? null;
    }
  }

  private deviceState(): DeviceState {
    const st = this.model.state();
    return {
      batteryPct: st.batteryPct === null ? null : Math.round(st.batteryPct * 10_000) / 10_000,
      powerState: st.powerState,
      cpuPct: null,
      memBytes: null,
      queueDepth: this.queueP.length,
    };
  }

  private recordPeriodic(nowMs: number): void {
    const on = this.model.state().on;
    const period = this.model.takePeriod(nowMs);
    if (!on || period.durationMs <= 0) return;
    this.shared.counters.periodicSamples++;
    this.shared.counters.periodicEnergyJ += period.energyJ;
    this.publisher.record({
      ts: nowMs - Math.round(period.durationMs),
      kind: "periodic",
      energyJ: period.energyJ,
      energySource: "simulated",
      durationMs: period.durationMs,
      modelId: this.deployment?.modelId ?? null,
      variant: this.lastVariant,
      threads: null,
      priority: null,
      ok: true,
      decision: null,
      state: this.deviceState(),
    });
  }

  // ---------------------------------------------------------------- NATS

  private sendHeartbeat(nowMs: number): void {
    const conn = this.nc;
    if (!conn || conn.isClosed()) return;
    try {
      conn.publish(
        this.identity.subjects.heartbeat,
        encode(ZHeartbeat, {
          orgId: this.identity.orgId,
          deviceId: this.identity.deviceId,
          boot: this.boot,
          ts: nowMs,
          uptimeS: (nowMs - this.startedAtMs) / 1000,
          agentVersion: SIM_AGENT_VERSION,
          meter: "simulated",
          modelId: this.deployment?.modelId ?? null,
          variant: this.lastVariant,
          outboxDepth: this.outbox.depth,
          state: this.deviceState(),
        }),
      );
      this.shared.counters.heartbeats++;
    } catch (err) {
      this.log.warn({ err: errorMessage(err) }, "heartbeat publish failed");
    }
  }

  private async connectionLoop(): Promise<void> {
    let delay = 1000;
    const { signal } = this.shared;
    while (!this.stopped && !signal.aborted) {
      let conn: NatsConnection;
      try {
        conn = await connectNats({
          servers: this.identity.nats.servers,
          name: `edgewatt-sim ${this.identity.deviceId}`,
          credentials: this.identity.nats.credentials,
          reconnectForever: true,
        });
      } catch (err) {
        if (delay === 1000) {
          this.log.warn(
            { err: errorMessage(err) },
            "cannot connect to NATS yet; telemetry goes to the outbox",
          );
        }
        await sleep(delay, signal);
        delay = Math.min(30_000, delay * 2);
        continue;
      }
      delay = 1000;
      if (this.stopped || signal.aborted) {
        await conn.close().catch(() => undefined);
        break;
      }
      this.nc = conn;
      this.shared.counters.connected++;
      const closed = conn.closed();
      await this.onConnected(conn).catch((err) =>
        this.log.error({ err: errorMessage(err) }, "connection handler failed"),
      );
      await closed;
      this.shared.counters.connected--;
      this.publisher.setPublisher(null);
      this.nc = null;
    }
  }

  private async onConnected(conn: NatsConnection): Promise<void> {
    const js = jetstream(conn);
    const publish = async (entry: { subject: string; payload: Uint8Array; msgId: string }) => {
      const ack = await js.publish(entry.subject, entry.payload, {
        msgID: entry.msgId,
        timeout: 10_000,
      });
      return { duplicate: ack.duplicate };
    };
    this.publisher.setPublisher(publish);
    if (this.model.state().on) this.sendHeartbeat(Date.now());
    void (async () => {
      for await (const s of conn.status()) {
        if (s.type === "disconnect") this.publisher.setPublisher(null);
        else if (s.type === "reconnect") this.publisher.setPublisher(publish);
      }
    })().catch(() => undefined);
    if (!this.shared.local) await this.watchAssignment(conn);
  }

  /** Follows this device's DEPLOY key until the connection closes or the fleet stops. */
  private async watchAssignment(conn: NatsConnection): Promise<void> {
    let lastRevision = 0;
    const ids = this.identity;
    while (!this.stopped && !conn.isClosed()) {
      try {
        const kv = await new Kvm(conn).open(ids.buckets.deploy);
        const store = this.shared.computeNone ? null : await new Objm(conn).open(ids.buckets.models);
        const policyKv = await new Kvm(conn).open(ids.buckets.policy).catch(() => null);
        const readPolicy = async (key: string) => {
          if (!policyKv) return null;
          const entry = await policyKv.get(key);
          return entry && entry.operation === "PUT" ? entry.value : null;
        };
        const iter = await kv.watch({
          key: ids.assignmentKey,
          ...(lastRevision > 0 ? { resumeFromRevision: lastRevision + 1 } : {}),
        });
        this.stopWatch = () => iter.stop();
        if (this.stopped) iter.stop();
        for await (const e of iter) {
          lastRevision = e.revision;
          this.submit({ operation: e.operation, value: e.value, revision: e.revision, store, readPolicy });
        }
      } catch (err) {
        if (this.stopped || conn.isClosed()) return;
        this.log.warn({ err: errorMessage(err) }, "assignment watch failed; retrying");
      }
      if (!this.stopped && !conn.isClosed()) await sleep(2000, this.shared.signal);
    }
  }

  /** Handles assignment updates one at a time; of several waiting, only the newest. */
  private submit(update: AssignmentUpdate): void {
    this.nextUpdate = update;
    this.handling ??= (async () => {
      while (this.nextUpdate && !this.stopped) {
        const next = this.nextUpdate;
        this.nextUpdate = null;
        await this.handleAssignment(next).catch((err) =>
          this.log.error({ err: errorMessage(err) }, "assignment handling failed"),
        );
      }
    })().finally(() => {
      this.handling = null;
    });
  }

  private async handleAssignment(update: AssignmentUpdate): Promise<void> {
    const { counters, pool } = this.shared;
    counters.assignmentsSeen++;
    if (update.operation !== "PUT") {
      this.deployment = null;
      this.observedEnergyJ.clear();
      return;
    }
    const decoded = decode(ZDeploymentAssignment, update.value);
    const ids = this.identity;
    if (!decoded.ok || decoded.value.orgId !== ids.orgId || decoded.value.deviceId !== ids.deviceId) {
      counters.assignmentsInvalid++;
      this.log.warn(
        {
          revision: update.revision,
          err: decoded.ok ? "addressed to another device" : decoded.error.message,
        },
        "assignment ignored",
      );
      return;
    }
    const assignment = decoded.value;
    const policyKey = assignment.policy.key;
    const policyBytes = policyKey ? await update.readPolicy(policyKey).catch(() => null) : null;
    const policy = policyForAssignment(assignment, policyBytes, {
      threads: this.shared.threads,
      maxThreads: this.shared.maxThreads,
    });
    if (policy.note) this.log.warn({ deploymentId: assignment.deploymentId }, policy.note);
    const files = new Map<string, string>();
    if (pool && update.store) {
      const all = assignment.ladder;
      const chosen =
        policy.policy.mode === "static" ? staticChoice(policy.policy, all.map(ladderEntry)) : null;
      const needed = chosen ? all.filter((v) => v.name === chosen) : all;
      for (const v of needed.length > 0 ? needed : all.slice(0, 1)) {
        try {
          files.set(v.name, await pool.ensureFile(update.store, v, assignment));
        } catch (err) {
          this.log.error({ variant: v.name, err: errorMessage(err) }, "variant rejected");
        }
      }
    }
    const deployment = buildDeployment({
      assignment,
      variants: assignment.ladder,
      files,
      computeNone: this.shared.computeNone,
      policy,
    });
    if (pool) {
      // Warm what the policy would run now (shared: the first device to ask loads it for the fleet).
      const first = staticChoice(deployment.policy, deployment.ladder);
      const manifest = first ? deployment.manifests.get(first) : undefined;
      const path = first ? files.get(first) : undefined;
      if (manifest && path) await pool.warm(manifest, path, this.shared.threads);
      for (const [name, p] of files) {
        const m = deployment.manifests.get(name);
        if (m && name !== first) void pool.warm(m, p, this.shared.threads);
      }
    }
    if (this.stopped) return;
    this.deployment = deployment;
    this.observedEnergyJ.clear();
  }
}

function sleep(ms: number, signal: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    if (signal.aborted) return resolve();
    const done = () => {
      clearTimeout(timer);
      signal.removeEventListener("abort", done);
      resolve();
    };
    const timer = setTimeout(done, ms);
    signal.addEventListener("abort", done, { once: true });
  });
}
