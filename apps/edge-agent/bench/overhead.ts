/**
 * The agent's per-inference overhead: a bare onnxruntime-node loop (session.run on one fixed input) against the
 * agent's own serving path on the same model, input, thread count and machine, in alternating blocks of the same
 * run so drift and noise hit both sides.
 *
 * `openAgentPath` is the one place that knows how the agent serves a request today: the real InferenceLoop (queue,
 * policy decide, session lease, meter measure, telemetry sample) recording into a real TelemetryPublisher over a
 * real on-disk outbox and a real nats-server. Re-point it when the inference path changes; the measurement around
 * it stays.
 */
import { mkdtemp, rm, stat } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { createPolicy } from "@edgewatt/engine/scheduler";
import { connectNats, ensureControlPlane, type Logger, type NatsConnection } from "@edgewatt/nats";
import { startNatsServer } from "@edgewatt/nats/testing";
import { type DeploymentAssignment, subjects, type VariantManifest } from "@edgewatt/protocol";
import { jetstream } from "@nats-io/jetstream";
import { InferenceSession, Tensor } from "onnxruntime-node";
import { InferenceLoop } from "../src/agent/inference-loop";
import type { AgentStats } from "../src/agent/stats";
import { DeviceStateReader } from "../src/device/device-state";
import { chooseMeter, detectMeters } from "../src/meters/detect";
import { createModelMeter } from "../src/meters/model-meter";
import { createResilientMeter } from "../src/meters/resilient-meter";
import { sha256File } from "../src/models/model-cache";
import { ActiveDeployment } from "../src/runtime/active-deployment";
import { loadSession } from "../src/runtime/load-session";
import { Slot } from "../src/runtime/slot";
import { Outbox } from "../src/telemetry/outbox";
import { TelemetryPublisher } from "../src/telemetry/telemetry-publisher";

const ORG = "org_bench";
const DEVICE = "dev_bench";
const THREADS = 1;

export interface OverheadOptions {
  modelPath: string;
  /** Alternating block pairs. */
  blocks: number;
  blockSize: number;
  warmup: number;
  profile: string;
  log: Logger;
}

export interface LatencyFigures {
  p50Us: number;
  p95Us: number;
  meanUs: number;
}

export interface OverheadResult {
  model: string;
  batch: 1;
  intraOpThreads: 1;
  inferencesPerSide: number;
  blocks: number;
  blockSize: number;
  bare: LatencyFigures;
  agent: LatencyFigures;
  overheadP50Ratio: number;
  overheadP95Ratio: number;
  /** What the agent path ran: its meter, policy and telemetry figures. */
  agentPath: Record<string, unknown>;
}

/** One request through the agent's serving path; resolves when its reply arrived. */
export interface AgentPath {
  infer(): Promise<void>;
  describe(): Record<string, unknown>;
  close(): Promise<void>;
}

/**
 * The agent as it serves a local request today: an ActiveDeployment of one fp32 variant with a static policy from
 * @edgewatt/engine/scheduler, the agent's meter (detected as in start-agent, with the model meter behind it), the
 * device state reader, and an InferenceLoop recording into a TelemetryPublisher whose outbox drains to JetStream.
 */
export async function openAgentPath(opts: {
  modelPath: string;
  inputs: Record<string, Tensor>;
  inputSpec: VariantManifest["inputs"];
  outputSpec: VariantManifest["outputs"];
  profile: string;
  log: Logger;
}): Promise<AgentPath> {
  const dir = await mkdtemp(join(tmpdir(), "ew-bench-agent-"));
  const nats = await startNatsServer();
  let nc: NatsConnection | null = null;
  try {
    nc = await connectNats({ servers: nats.url, name: "bench-agent-path" });
    await ensureControlPlane(nc);
    const js = jetstream(nc);
    const outbox = await Outbox.open(join(dir, "outbox"), { maxEntries: 10_000 });
    const boot = `bench-${Date.now().toString(36)}`;
    const publisher = new TelemetryPublisher({
      outbox,
      orgId: ORG,
      deviceId: DEVICE,
      boot,
      subject: subjects.telemetryEnergy(ORG, DEVICE),
      log: opts.log,
    });
    publisher.setPublisher(async (entry) => {
      const ack = await js.publish(entry.subject, entry.payload, { msgID: entry.msgId, timeout: 5000 });
      return { duplicate: ack.duplicate };
    });
    publisher.start();

    const fallback = createModelMeter(opts.profile);
    const meter = createResilientMeter(
      chooseMeter(await detectMeters({ profile: opts.profile }), "auto"),
      fallback,
      {
        log: opts.log,
      },
    );
    const device = new DeviceStateReader();
    await device.start();

    const manifest: VariantManifest = {
      variantId: "var_fp32",
      name: "fp32",
      bucket: "MODELS",
      objectName: `${ORG}/mdl_bench/fp32.onnx`,
      sha256: await sha256File(opts.modelPath),
      sizeBytes: (await stat(opts.modelPath)).size,
      passes: [],
      inputs: opts.inputSpec,
      outputs: opts.outputSpec,
      fidelity: null,
      energyJ: null,
      latencyMs: null,
    };
    const assignment: DeploymentAssignment = {
      deploymentId: "dep_bench",
      orgId: ORG,
      deviceId: DEVICE,
      modelId: "mdl_bench",
      modelName: "bench",
      ladder: [manifest],
      policy: { mode: "static", variant: "fp32" },
      updatedAt: Date.now(),
    };
    const { policy } = createPolicy({ mode: "static", variant: "fp32" }, { threads: THREADS, maxThreads: 4 });
    const deployment = new ActiveDeployment({
      assignment,
      revision: 1,
      policy,
      files: new Map([["fp32", opts.modelPath]]),
      budgetBytes: 512 * 1024 * 1024,
      load: (variant, threads, path) =>
        loadSession({
          path,
          deploymentId: assignment.deploymentId,
          modelId: assignment.modelId,
          variant,
          threads,
        }),
    });
    await deployment.warm("fp32", THREADS);
    const slot = new Slot<ActiveDeployment>();
    slot.swap(deployment);
    const stats: AgentStats = {
      connected: true,
      inferences: 0,
      inferenceErrors: 0,
      requestsDropped: 0,
      assignmentsSeen: 1,
      assignmentsInvalid: 0,
      assignmentsRemoved: 0,
      variantsLoaded: 1,
      variantsRejected: 0,
      downloads: 0,
      cacheHits: 0,
      heartbeats: 0,
      activeVariant: "fp32",
      lastError: null,
      telemetry: publisher.stats,
      outbox: outbox.stats,
    };
    const loop = new InferenceLoop({
      slot,
      meter,
      source: null,
      stats,
      log: opts.log,
      rateHz: 1,
      record: (s) => publisher.record(s),
      device,
    });
    loop.start();
    const conn = nc;
    return {
      infer: () =>
        new Promise<void>((resolve, reject) => {
          loop.submit({
            priority: "normal",
            enqueuedAt: performance.now(),
            inputs: opts.inputs,
            reply: (outcome) => (outcome.ok ? resolve() : reject(outcome.error)),
          });
        }),
      describe: () => ({
        path: "InferenceLoop.submit → policy.decide → ActiveDeployment.acquire → meter.measure(session.run) → TelemetryPublisher.record → reply",
        meter: meter.description,
        meterSource: meter.source,
        policy: policy.mode,
        inferences: stats.inferences,
        inferenceErrors: stats.inferenceErrors,
        telemetrySamples: publisher.stats.samples,
        telemetryBatchesPublished: publisher.stats.published,
        outboxDepth: outbox.depth,
      }),
      async close() {
        await loop.stop();
        await publisher.stop(5000);
        await slot.close();
        device.stop();
        meter.close?.();
        await conn.close();
        await nats.stop();
        await rm(dir, { recursive: true, force: true });
      },
    };
  } catch (err) {
    await nc?.close();
    await nats.stop();
    await rm(dir, { recursive: true, force: true });
    throw err;
  }
}

function figures(us: number[]): LatencyFigures {
  const sorted = [...us].sort((a, b) => a - b);
  const at = (q: number) => sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))] ?? Number.NaN;
  return { p50Us: at(0.5), p95Us: at(0.95), meanUs: us.reduce((a, b) => a + b, 0) / Math.max(1, us.length) };
}

export async function measureOverhead(opts: OverheadOptions): Promise<OverheadResult> {
  const sessionOptions: InferenceSession.SessionOptions = {
    intraOpNumThreads: THREADS,
    interOpNumThreads: 1,
    executionMode: "sequential",
    graphOptimizationLevel: "all",
  };
  const bare = await InferenceSession.create(opts.modelPath, sessionOptions);
  const meta = bare.inputMetadata;
  const specs = (m: readonly InferenceSession.ValueMetadata[]) =>
    m.map((x) => ({
      name: x.name,
      elemType: x.isTensor ? x.type : "unknown",
      shape: x.isTensor ? x.shape.map((d) => (typeof d === "number" ? d : String(d))) : [],
    }));
  const inputs: Record<string, Tensor> = {};
  let seed = 1;
  for (const m of meta) {
    if (!m.isTensor || m.type !== "float32")
      throw new Error(`bench model input ${m.name} must be a float32 tensor`);
    const dims = m.shape.map((d) => (typeof d === "number" && d > 0 ? d : 1));
    const data = new Float32Array(dims.reduce((a, b) => a * b, 1));
    for (let i = 0; i < data.length; i++) {
      seed = (seed * 1_103_515_245 + 12_345) >>> 0;
      data[i] = seed / 2 ** 31 - 1;
    }
    inputs[m.name] = new Tensor("float32", data, dims);
  }
  const agent = await openAgentPath({
    modelPath: opts.modelPath,
    inputs,
    inputSpec: specs(meta),
    outputSpec: specs(bare.outputMetadata),
    profile: opts.profile,
    log: opts.log,
  });
  try {
    const runBare = async () => {
      await bare.run(inputs);
    };
    const timeBlock = async (fn: () => Promise<void>, n: number, out: number[] | null) => {
      for (let i = 0; i < n; i++) {
        const t0 = process.hrtime.bigint();
        await fn();
        const us = Number(process.hrtime.bigint() - t0) / 1000;
        out?.push(us);
      }
    };
    await timeBlock(runBare, opts.warmup, null);
    await timeBlock(agent.infer, opts.warmup, null);
    const bareUs: number[] = [];
    const agentUs: number[] = [];
    for (let b = 0; b < opts.blocks; b++) {
      // ABBA order: neither side always runs first.
      if (b % 2 === 0) {
        await timeBlock(runBare, opts.blockSize, bareUs);
        await timeBlock(agent.infer, opts.blockSize, agentUs);
      } else {
        await timeBlock(agent.infer, opts.blockSize, agentUs);
        await timeBlock(runBare, opts.blockSize, bareUs);
      }
    }
    const bareFig = figures(bareUs);
    const agentFig = figures(agentUs);
    return {
      model: opts.modelPath,
      batch: 1,
      intraOpThreads: 1,
      inferencesPerSide: bareUs.length,
      blocks: opts.blocks,
      blockSize: opts.blockSize,
      bare: bareFig,
      agent: agentFig,
      overheadP50Ratio: agentFig.p50Us / bareFig.p50Us,
      overheadP95Ratio: agentFig.p95Us / bareFig.p95Us,
      agentPath: agent.describe(),
    };
  } finally {
    await agent.close();
    await bare.release();
  }
}
