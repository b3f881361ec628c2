/**
 * The agent daemon: identity → NATS (reconnecting forever) → heartbeat, assignment watch, model serving,
 * metered inference and telemetry through the disk outbox. `startAgent` returns once the agent runs; it works
 * offline too (telemetry piles up in the outbox and is replayed when the broker is back).
 */
import { randomBytes } from "node:crypto";
import { connectNats, type Logger, type NatsConnection } from "@edgewatt/nats";
import { encode, ZHeartbeat } from "@edgewatt/protocol";
import { jetstream } from "@nats-io/jetstream";
import { Kvm } from "@nats-io/kv";
import { Objm } from "@nats-io/obj";
import { DeviceStateReader } from "../device/device-state";
import { getEnv } from "../env";
import { errorMessage } from "../errors";
import type { InputSource } from "../inputs/input-source";
import { type InputSpec, openInputSource } from "../inputs/parse-input";
import { createAgentLogger } from "../log";
import { createModelMeter, DEFAULT_PROFILE } from "../meters/model-meter";
import { ModelCache } from "../models/model-cache";
import { ModelSlot } from "../runtime/model-slot";
import { getIdentity, type Identity } from "../state/identity";
import { ensurePrivateDir, statePaths } from "../state/paths";
import { acquireRunLock } from "../state/run-lock";
import { type AgentStatus, writeStatus } from "../state/status";
import { Outbox } from "../telemetry/outbox";
import { TelemetryPublisher } from "../telemetry/telemetry-publisher";
import { AGENT_VERSION } from "../version";
import { DeploymentManager } from "./deployment-manager";
import { InferenceLoop } from "./inference-loop";
import { type AgentStats, COUNTER_KEYS } from "./stats";

export interface StartAgentOptions {
  stateDir: string;
  /** Inference requests per second (default: EDGEWATT_AGENT_RATE, 5). */
  rateHz?: number;
  /** `random` (default) or a sensor CSV to replay; or a ready InputSource. */
  input?: InputSpec | InputSource;
  /** Power profile of the `model` meter (default generic-x86). */
  profile?: string;
  /** onnxruntime intra-op threads (default 1). */
  threads?: number;
  /** Most batches kept in the outbox (default: EDGEWATT_AGENT_OUTBOX_MAX, 10 000). */
  outboxMax?: number;
  heartbeatMs?: number;
  /** Telemetry batching period. */
  flushMs?: number;
  /** How long shutdown waits for the outbox to drain before leaving the rest on disk. */
  shutdownDrainMs?: number;
  /** Download progress line on stderr (default true). */
  progress?: boolean;
  log?: Logger;
}

export interface RunningAgent {
  boot: string;
  identity: Identity;
  stats: AgentStats;
  /** Resolves when every assignment update received so far has been handled. */
  settled(): Promise<void>;
  stop(): Promise<void>;
}

export function newBootId(): string {
  return `${Date.now().toString(36)}-${randomBytes(5).toString("hex")}`;
}

export async function startAgent(opts: StartAgentOptions): Promise<RunningAgent> {
  const env = getEnv();
  const paths = statePaths(opts.stateDir);
  const identity = await getIdentity(opts.stateDir);
  const boot = newBootId();
  const log = opts.log ?? createAgentLogger({ device: identity.deviceId, boot });
  const rateHz = opts.rateHz ?? env.EDGEWATT_AGENT_RATE;
  if (!(rateHz > 0 && rateHz <= 1000)) throw new RangeError(`rate must be in (0, 1000] Hz, got ${rateHz}`);
  const threads = opts.threads ?? 1;
  const meter = createModelMeter(opts.profile ?? DEFAULT_PROFILE);
  const source =
    opts.input && "fillFloats" in opts.input
      ? opts.input
      : await openInputSource(opts.input ?? { kind: "random" });

  await ensurePrivateDir(paths.root);
  const lock = await acquireRunLock(paths.root);
  let outbox: Outbox;
  try {
    outbox = await Outbox.open(paths.outbox, { maxEntries: opts.outboxMax ?? env.EDGEWATT_AGENT_OUTBOX_MAX });
  } catch (err) {
    await lock.release();
    throw err;
  }
  const cache = new ModelCache(paths.cache);
  const slot = new ModelSlot();
  const deviceState = new DeviceStateReader();
  await deviceState.start();

  const publisher = new TelemetryPublisher({
    outbox,
    orgId: identity.orgId,
    deviceId: identity.deviceId,
    boot,
    subject: identity.subjects.telemetry,
    log,
    ...(opts.flushMs ? { flushMs: opts.flushMs } : {}),
  });
  const stats: AgentStats = {
    connected: false,
    inferences: 0,
    inferenceErrors: 0,
    requestsDropped: 0,
    assignmentsSeen: 0,
    assignmentsInvalid: 0,
    assignmentsRemoved: 0,
    variantsLoaded: 0,
    variantsRejected: 0,
    downloads: 0,
    cacheHits: 0,
    heartbeats: 0,
    activeVariant: null,
    lastError: null,
    telemetry: publisher.stats,
    outbox: outbox.stats,
  };
  let lastError: { at: string; message: string } | null = null;
  const reportError = (message: string) => {
    lastError = { at: new Date().toISOString(), message };
    stats.lastError = message;
  };

  const loop = new InferenceLoop({
    slot,
    meter,
    source,
    stats,
    log,
    rateHz,
    record: (s) => publisher.record(s),
    deviceState: (q) => deviceState.current(q),
  });
  const startedAtMs = Date.now();
  const startedAt = new Date(startedAtMs).toISOString();
  let running = true;
  const deployments = new DeploymentManager({
    orgId: identity.orgId,
    deviceId: identity.deviceId,
    cache,
    slot,
    stats,
    log,
    threads,
    progress: opts.progress ?? true,
    observe: () => ({ device: deviceState.current(loop.queueDepth), recentLatencyMs: loop.recentLatencyMs }),
    onChange: () => void saveStatus(),
    reportError,
  });

  const buildStatus = (): AgentStatus => {
    const a = deployments.assignment;
    const m = slot.model;
    return {
      pid: process.pid,
      boot,
      agentVersion: AGENT_VERSION,
      startedAt,
      updatedAt: new Date().toISOString(),
      running,
      connected: stats.connected,
      meter: { source: meter.source, description: meter.description },
      input: source.description,
      assignment: a
        ? {
            deploymentId: a.value.deploymentId,
            modelId: a.value.modelId,
            modelName: a.value.modelName,
            policyMode: a.value.policy.mode,
            policyVariant: a.value.policy.variant ?? null,
            ladder: a.value.ladder.map((v) => v.name),
            revision: a.revision,
            receivedAt: a.receivedAt,
          }
        : null,
      activeVariant: m
        ? {
            name: m.variant.name,
            sha256: m.variant.sha256,
            threads: m.threads,
            loadedAt: deployments.activeSince ?? startedAt,
          }
        : null,
      counters: Object.fromEntries(COUNTER_KEYS.map((k) => [k, stats[k]])),
      outbox: { depth: outbox.depth, dropped: outbox.stats.dropped },
      lastError,
    };
  };
  let statusWrite: Promise<void> = Promise.resolve();
  const saveStatus = (): Promise<void> => {
    statusWrite = statusWrite
      .then(() => writeStatus(paths.root, buildStatus()))
      .catch((err) => log.warn({ err: errorMessage(err) }, "cannot write status.json"));
    return statusWrite;
  };

  // ---------------------------------------------------------------- NATS
  let nc: NatsConnection | null = null;
  let stopping = false;
  const stopSignal = new AbortController();
  /** Waits `ms`, or less when the agent stops meanwhile. */
  const sleep = (ms: number) =>
    new Promise<void>((resolve) => {
      const signal = stopSignal.signal;
      if (signal.aborted) return resolve();
      const onAbort = () => {
        clearTimeout(timer);
        resolve();
      };
      const timer = setTimeout(() => {
        signal.removeEventListener("abort", onAbort);
        resolve();
      }, ms);
      signal.addEventListener("abort", onAbort, { once: true });
    });

  const sendHeartbeat = () => {
    const conn = nc;
    if (!conn || conn.isClosed()) return;
    const m = slot.model;
    try {
      conn.publish(
        identity.subjects.heartbeat,
        encode(ZHeartbeat, {
          orgId: identity.orgId,
          deviceId: identity.deviceId,
          boot,
          ts: Date.now(),
          uptimeS: (Date.now() - startedAtMs) / 1000,
          agentVersion: AGENT_VERSION,
          meter: meter.source,
          modelId: m?.modelId ?? null,
          variant: m?.variant.name ?? null,
          outboxDepth: outbox.depth,
          state: deviceState.current(loop.queueDepth),
        }),
      );
      stats.heartbeats++;
    } catch (err) {
      log.warn({ err: errorMessage(err) }, "heartbeat publish failed");
    }
  };

  /** Watches the assignment key until the connection closes or the agent stops; resumes after the last revision. */
  const watchAssignment = async (conn: NatsConnection) => {
    let lastRevision = 0;
    while (!stopping && !conn.isClosed()) {
      try {
        const kv = await new Kvm(conn).open(identity.buckets.deploy);
        const store = await new Objm(conn).open(identity.buckets.models);
        const iter = await kv.watch({
          key: identity.assignmentKey,
          ...(lastRevision > 0 ? { resumeFromRevision: lastRevision + 1 } : {}),
        });
        const stopWatch = () => iter.stop();
        stopSignal.signal.addEventListener("abort", stopWatch, { once: true });
        log.info({ bucket: identity.buckets.deploy, key: identity.assignmentKey }, "watching assignment");
        try {
          for await (const e of iter) {
            lastRevision = e.revision;
            deployments.submit({ operation: e.operation, value: e.value, revision: e.revision, store });
          }
        } finally {
          stopSignal.signal.removeEventListener("abort", stopWatch);
        }
      } catch (err) {
        if (stopping || conn.isClosed()) return;
        log.warn({ err: errorMessage(err) }, "assignment watch failed; retrying");
      }
      if (!stopping && !conn.isClosed()) await sleep(2000);
    }
  };

  const onConnected = async (conn: NatsConnection) => {
    stats.connected = true;
    log.info({ servers: identity.nats.servers, server: conn.getServer() }, "connected to NATS");
    const js = jetstream(conn);
    const publish = async (entry: { subject: string; payload: Uint8Array; msgId: string }) => {
      const ack = await js.publish(entry.subject, entry.payload, { msgID: entry.msgId, timeout: 5000 });
      return { duplicate: ack.duplicate };
    };
    publisher.setPublisher(publish);
    sendHeartbeat();
    void saveStatus();
    void (async () => {
      for await (const s of conn.status()) {
        if (s.type === "disconnect") {
          stats.connected = false;
          // Nothing new is handed to a connection that cannot ack it; the outbox keeps it until the reconnect.
          publisher.setPublisher(null);
          log.warn({ server: s.server }, "disconnected from NATS; telemetry goes to the outbox");
          void saveStatus();
        } else if (s.type === "reconnect") {
          stats.connected = true;
          log.info(
            { server: s.server, outboxDepth: outbox.depth },
            "reconnected to NATS; replaying the outbox",
          );
          publisher.setPublisher(publish);
          sendHeartbeat();
          void saveStatus();
        }
      }
    })().catch(() => undefined);
    await watchAssignment(conn);
  };

  const connectionLoop = (async () => {
    let delay = 1000;
    while (!stopping) {
      let conn: NatsConnection;
      try {
        conn = await connectNats({
          servers: identity.nats.servers,
          name: `edgewatt-agent ${identity.deviceId}`,
          credentials: identity.nats.credentials,
          reconnectForever: true,
        });
      } catch (err) {
        log.warn(
          { err: errorMessage(err), retryInMs: delay },
          "cannot connect to NATS yet; telemetry goes to the outbox",
        );
        await sleep(delay);
        delay = Math.min(30_000, delay * 2);
        continue;
      }
      delay = 1000;
      if (stopping) {
        // stop() ran while this connection attempt was under way.
        await conn.close().catch(() => undefined);
        break;
      }
      nc = conn;
      const closed = conn.closed();
      await onConnected(conn).catch((err) =>
        log.error({ err: errorMessage(err) }, "connection handler failed"),
      );
      await closed;
      publisher.setPublisher(null);
      stats.connected = false;
      nc = null;
      if (!stopping) log.warn({}, "NATS connection closed; connecting again");
    }
  })();

  // ---------------------------------------------------------------- timers
  publisher.start();
  loop.start();
  const heartbeatTimer = setInterval(() => {
    sendHeartbeat();
    void saveStatus();
  }, opts.heartbeatMs ?? 5000);
  await saveStatus();
  log.info(
    {
      stateDir: opts.stateDir,
      rateHz,
      meter: meter.description,
      input: source.description,
      threads,
      agentVersion: AGENT_VERSION,
    },
    "agent started",
  );

  let stopped: Promise<void> | null = null;
  const stop = () => {
    stopped ??= (async () => {
      log.info({}, "agent stopping");
      clearInterval(heartbeatTimer);
      await loop.stop();
      deployments.stop();
      await publisher.stop(opts.shutdownDrainMs ?? 5000);
      stopping = true;
      stopSignal.abort();
      const conn = nc;
      if (conn && !conn.isClosed()) await conn.drain().catch(() => conn.close());
      await connectionLoop;
      await deployments.idle();
      // The last status still names the variant that was serving.
      running = false;
      stats.connected = false;
      await saveStatus();
      await slot.close();
      deviceState.stop();
      await lock.release();
      log.info({ outboxDepth: outbox.depth, inferences: stats.inferences }, "agent stopped");
    })();
    return stopped;
  };

  return { boot, identity, stats, settled: () => deployments.idle(), stop };
}
