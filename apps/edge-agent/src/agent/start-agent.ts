/**
 * The agent daemon: identity → NATS (reconnecting forever) → heartbeat, assignment watch, model serving,
 * metered inference and telemetry through the disk outbox. `startAgent` returns once the agent runs; it works
 * offline too (telemetry piles up in the outbox and is replayed when the broker is back).
 */

import { randomBytes } from "node:crypto";
import { isAbsolute, join } from "node:path";
import { connectNats, type Logger, type NatsConnection, probeNats } from "@edgewatt/nats";
import { encode, ZHeartbeat } from "@edgewatt/protocol";
import { jetstream } from "@nats-io/jetstream";
import { Kvm, KvWatchInclude } from "@nats-io/kv";
import { Objm } from "@nats-io/obj";
import { type LocalApi, startLocalApi } from "../api/local-api";
import { type AgentConfig, ZAgentConfig } from "../config/agent-config";
import { DeviceStateReader } from "../device/device-state";
import { errorMessage } from "../errors";
import type { InputSource } from "../inputs/input-source";
import { type InputSpec, openInputSource, parseInputSpec } from "../inputs/parse-input";
import { createAgentLogger } from "../log";
import { selectMeter } from "../meters/detect";
import { createModelMeter } from "../meters/model-meter";
import { createResilientMeter } from "../meters/resilient-meter";
import { ModelCache } from "../models/model-cache";
import type { ActiveDeployment } from "../runtime/active-deployment";
import { Slot } from "../runtime/slot";
import { getIdentity, type Identity } from "../state/identity";
import { ensurePrivateDir, statePaths } from "../state/paths";
import { acquireRunLock } from "../state/run-lock";
import { loadSavedAssignment, saveAssignment } from "../state/saved-assignment";
import { type AgentStatus, writeStatus } from "../state/status";
import { Outbox } from "../telemetry/outbox";
import { TelemetryPublisher } from "../telemetry/telemetry-publisher";
import { AGENT_VERSION } from "../version";
import { DeploymentManager } from "./deployment-manager";
import { InferenceLoop } from "./inference-loop";
import { PeriodicSampler } from "./periodic-sampler";
import { type AgentStats, COUNTER_KEYS } from "./stats";

export interface StartAgentOptions {
  stateDir: string;
  /** The agent's configuration (see config/agent-config.ts); defaults for what is absent. */
  config?: Partial<AgentConfig>;
  /** Overrides of single config keys (tests and older callers). */
  rateHz?: number;
  /** A request source spec, or a ready InputSource (tests). */
  input?: InputSpec | InputSource;
  profile?: string;
  threads?: number;
  outboxMax?: number;
  heartbeatMs?: number;
  /** Telemetry batching period. */
  flushMs?: number;
  /** How long shutdown waits for queued requests and the outbox before leaving the rest on disk. */
  shutdownDrainMs?: number;
  /** Download progress line on stderr (default true). */
  progress?: boolean;
  log?: Logger;
}

export interface RunningAgent {
  boot: string;
  identity: Identity;
  stats: AgentStats;
  config: AgentConfig;
  loop: InferenceLoop;
  /** Where the local API listens (null = not listening there). */
  api: { http: string | null; socket: string | null };
  /** Resolves when every assignment update received so far has been handled. */
  settled(): Promise<void>;
  stop(): Promise<void>;
}

/** How nats-server words a refused user (bad, expired or revoked JWT). */
const AUTH_REFUSED = /authorization violation|authentication|user authentication (expired|revoked)|revoked/i;

export function newBootId(): string {
  return `${Date.now().toString(36)}-${randomBytes(5).toString("hex")}`;
}

export async function startAgent(opts: StartAgentOptions): Promise<RunningAgent> {
  const config = ZAgentConfig.parse({
    ...opts.config,
    ...(opts.rateHz !== undefined ? { rateHz: opts.rateHz } : {}),
    ...(opts.profile !== undefined ? { profile: opts.profile } : {}),
    ...(opts.threads !== undefined
      ? { threads: opts.threads, maxThreads: Math.max(opts.threads, opts.config?.maxThreads ?? 4) }
      : {}),
    ...(opts.outboxMax !== undefined ? { outboxMax: opts.outboxMax } : {}),
    ...(opts.heartbeatMs !== undefined ? { heartbeatSeconds: opts.heartbeatMs / 1000 } : {}),
    ...(opts.shutdownDrainMs !== undefined ? { shutdownDrainSeconds: opts.shutdownDrainMs / 1000 } : {}),
  });
  const paths = statePaths(opts.stateDir);
  const identity = await getIdentity(opts.stateDir);
  const boot = newBootId();
  const log = opts.log ?? createAgentLogger({ device: identity.deviceId, boot });
  const rateHz = config.rateHz;
  const threads = config.threads;
  const fallbackMeter = createModelMeter(config.profile);
  const meter = createResilientMeter(
    await selectMeter(
      { sysRoot: config.sysRoot, profile: config.profile, nvidiaSmi: config.nvidiaSmi },
      config.meter,
    ),
    fallbackMeter,
    { log },
  );
  let source: InputSource | null;
  if (opts.input && "fillFloats" in opts.input) source = opts.input;
  else if (opts.input) source = await openInputSource(opts.input);
  else source = config.input === "none" ? null : await openInputSource(parseInputSpec(config.input), { log });

  await ensurePrivateDir(paths.root);
  const lock = await acquireRunLock(paths.root);
  let outbox: Outbox;
  try {
    outbox = await Outbox.open(paths.outbox, { maxEntries: config.outboxMax });
  } catch (err) {
    await lock.release();
    throw err;
  }
  const cache = new ModelCache(paths.cache, { maxBytes: config.cacheMaxMiB * 1024 * 1024, log });
  const slot = new Slot<ActiveDeployment>();
  const deviceState = new DeviceStateReader({ sysRoot: config.sysRoot });
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
    priorityMix: config.priorityMix,
    record: (s) => publisher.record(s),
    device: deviceState,
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
    maxThreads: config.maxThreads,
    sessionBudgetBytes: config.sessionBudgetMiB * 1024 * 1024,
    progress: opts.progress ?? true,
    observeNormal: (deployment) => loop.observe(deployment, "normal"),
    onChange: () => {
      void saveStatus();
      const conn = nc;
      if (conn) void followPolicyKey(conn);
    },
    reportError,
    persist: (record) => saveAssignment(opts.stateDir, record),
  });
  const periodic = new PeriodicSampler({
    meter,
    intervalMs: config.periodicSeconds * 1000,
    record: (s) => publisher.record(s),
    state: () => deviceState.current(loop.queueDepth),
    serving: () => {
      const d = slot.value;
      return { modelId: d?.modelId ?? null, variant: d?.lastUsed?.variant.name ?? null };
    },
    log,
  });
  const api: { http: string | null; socket: string | null } = { http: null, socket: null };

  const buildStatus = (): AgentStatus => {
    const a = deployments.assignment;
    const d = slot.value;
    const m = d?.lastUsed ?? null;
    return {
      pid: process.pid,
      boot,
      agentVersion: AGENT_VERSION,
      startedAt,
      updatedAt: new Date().toISOString(),
      running,
      connected: stats.connected,
      meter: {
        source: meter.source,
        description: meter.description,
        fallbacks: meter.health.fallbacks,
        degraded: meter.health.degraded,
      },
      input: source?.description ?? "none (local API requests only)",
      api,
      policy: d
        ? {
            mode: d.policy.mode,
            policyId: d.policy.policyId,
            version: d.policy.version,
            note: deployments.policyNote,
          }
        : null,
      sessions: d?.sessions() ?? [],
      queue: loop.queue.depthByPriority,
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

  // ---------------------------------------------------------------- local API
  const socketSetting = config.api.socket;
  let localApi: LocalApi | null = null;
  if (config.api.http || socketSetting) {
    try {
      localApi = await startLocalApi({
        http: config.api.http,
        socketPath:
          socketSetting === null
            ? null
            : isAbsolute(socketSetting)
              ? socketSetting
              : join(opts.stateDir, socketSetting),
        loop,
        slot,
        status: () => buildStatus(),
        log,
      });
    } catch (err) {
      deviceState.stop();
      meter.close?.();
      await lock.release();
      throw err;
    }
    api.http = localApi.http;
    api.socket = localApi.socketPath;
  }

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
    const m = slot.value?.lastUsed ?? null;
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
        const policyKv = await new Kvm(conn).open(identity.buckets.policy).catch(() => null);
        const readPolicy = async (key: string) => {
          if (!policyKv) throw new Error(`KV bucket ${identity.buckets.policy} is not available`);
          const entry = await policyKv.get(key);
          return entry && entry.operation === "PUT" ? entry.value : null;
        };
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
            deployments.submit({
              operation: e.operation,
              value: e.value,
              revision: e.revision,
              store,
              readPolicy,
            });
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

  /**
   * Follows the POLICY key the current assignment points at (a learned policy ships new versions there without a
   * new assignment). Re-pointed whenever a handled assignment names another key.
   */
  let policyWatch: { key: string; stop(): void } | null = null;
  const followPolicyKey = async (conn: NatsConnection) => {
    const key = deployments.assignment?.value.policy.key ?? null;
    if (policyWatch?.key === key) return;
    policyWatch?.stop();
    policyWatch = null;
    if (!key || conn.isClosed() || stopping) return;
    try {
      const kv = await new Kvm(conn).open(identity.buckets.policy);
      const iter = await kv.watch({ key, include: KvWatchInclude.UpdatesOnly });
      policyWatch = { key, stop: () => iter.stop() };
      void (async () => {
        for await (const e of iter) {
          deployments.policyUpdated(key, e.operation === "PUT" ? e.value : null);
        }
      })().catch((err) => log.warn({ key, err: errorMessage(err) }, "policy watch ended"));
    } catch (err) {
      log.warn({ key, err: errorMessage(err) }, "cannot watch the assignment's policy key");
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
        } else if (s.type === "error" && AUTH_REFUSED.test(String(s.error?.message ?? ""))) {
          // Revoked or rotated credentials: reconnecting with them would fail forever. Close, so the connection
          // loop reads identity.json again (a `rotate` may have written new ones) and backs off meanwhile.
          reportError(
            `NATS refused this device's credentials (${s.error.message}): they were revoked or rotated — run \`edgewatt-agent rotate\`, or enroll again with --force`,
          );
          log.error(
            { err: String(s.error.message) },
            "NATS refused the device's credentials; telemetry goes to the outbox",
          );
          void conn.close().catch(() => undefined);
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

  // Serve the last assignment from the cache right away: the broker may be unreachable for a long time (a restart
  // during a network cut); its own copy replaces this one once connected.
  const saved = await loadSavedAssignment(opts.stateDir);
  if (saved) {
    log.info(
      { revision: saved.revision },
      "serving the last assignment from the cache until the broker answers",
    );
    deployments.submit({
      operation: "PUT",
      value: saved.value,
      revision: saved.revision,
      store: null,
      cachedPolicy: saved.policy,
    });
  }

  const connectionLoop = (async () => {
    let delay = 1000;
    while (!stopping) {
      let conn: NatsConnection;
      // Only dial with nats.js once the server answers: a timed-out nats.js connect can leak its socket.
      if (!(await probeNats(identity.nats.servers, 5000))) {
        if (stopping) break;
        log.warn(
          { servers: identity.nats.servers, retryInMs: delay },
          "cannot reach NATS yet; telemetry goes to the outbox",
        );
        await sleep(delay);
        delay = Math.min(30_000, delay * 2);
        continue;
      }
      try {
        // identity.json again: `edgewatt-agent rotate` may have replaced the credentials since the last attempt.
        const current = await getIdentity(opts.stateDir).catch(() => identity);
        conn = await connectNats({
          servers: identity.nats.servers,
          name: `edgewatt-agent ${identity.deviceId}`,
          credentials:
            current.deviceId === identity.deviceId ? current.nats.credentials : identity.nats.credentials,
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
  periodic.start();
  const heartbeatTimer = setInterval(() => {
    sendHeartbeat();
    void saveStatus();
  }, config.heartbeatSeconds * 1000);
  await saveStatus();
  log.info(
    {
      stateDir: opts.stateDir,
      rateHz,
      meter: meter.description,
      input: source?.description ?? "none",
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
      await loop.stop(config.shutdownDrainSeconds * 1000);
      // Every queued API request has its answer by now (a result, or "shutting down").
      await localApi?.close();
      await periodic.stop();
      deployments.stop();
      await publisher.stop(config.shutdownDrainSeconds * 1000);
      stopping = true;
      stopSignal.abort();
      policyWatch?.stop();
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
      meter.close?.();
      await lock.release();
      log.info({ outboxDepth: outbox.depth, inferences: stats.inferences }, "agent stopped");
    })();
    return stopped;
  };

  return { boot, identity, stats, config, loop, api, settled: () => deployments.idle(), stop };
}
