/**
 * The run loop end to end against a fresh nats-server: assignment in KV DEPLOY → variant from the MODELS object
 * store → onnxruntime-node → metered telemetry in the TELEMETRY stream, plus the refusals (tampered object,
 * unloadable variant, malformed assignments) that must leave the serving model alone.
 */
import { readdir, readFile, stat } from "node:fs/promises";
import { join, resolve } from "node:path";
import {
  connectNats,
  ensureControlPlane,
  type NatsConnection,
  openModelStore,
  putObjectBytes,
} from "@edgewatt/nats";
import { startNatsServer, type TestNatsServer } from "@edgewatt/nats/testing";
import {
  decode,
  encode,
  KV_BUCKETS,
  kvKeys,
  objectNames,
  subjects,
  telemetryMsgId,
  ZDeploymentAssignment,
  ZHeartbeat,
} from "@edgewatt/protocol";
import { type KV, Kvm } from "@nats-io/kv";
import type { ObjectStore } from "@nats-io/obj";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type RunningAgent, startAgent } from "../src/agent/start-agent";
import type { CliIo } from "../src/cli/io";
import { runCli } from "../src/cli/run-cli";
import { createRecordingLogger } from "../src/log";
import { findStatus } from "../src/state/status";
import {
  AUTOENCODER_IO,
  assignmentBytes,
  identityFor,
  MODELS_DIR,
  manifest,
  readTelemetry,
  removeTempDirs,
  SENSOR_GPT_IO,
  sha256,
  tempStateDir,
  waitFor,
  writeTestIdentity,
} from "./helpers";

/** ../shared beside the repository (reference models and datasets); EDGEWATT_SHARED_DIR overrides. */
const SHARED_DIR = process.env.EDGEWATT_SHARED_DIR ?? resolve(import.meta.dirname, "../../../../shared");

const ORG = "org_run1";
const DEVICE = "dev_run1";
const MODEL = "mdl_nab";
const GPT = "mdl_gpt";

describe("edgewatt-agent run loop", () => {
  let server: TestNatsServer;
  let nc: NatsConnection;
  let kv: KV;
  let store: ObjectStore;
  let stateDir: string;
  let agent: RunningAgent;
  const log = createRecordingLogger();
  const key = kvKeys.deviceAssignment(ORG, DEVICE);
  let fp32: ReturnType<typeof manifest>;
  let fp32Sha: string;
  const heartbeats: unknown[] = [];

  const assignment = (variant: string, ladder: ReturnType<typeof manifest>[], modelId = MODEL) =>
    assignmentBytes({
      deploymentId: `dep_${variant.replace(/[^A-Za-z0-9]/g, "")}`,
      orgId: ORG,
      deviceId: DEVICE,
      modelId,
      modelName: modelId === MODEL ? "nab-conv-autoencoder" : "sensor-gpt",
      ladder,
      policy: { mode: "static", variant },
    });

  /** Inferences keep being served (the count grows) with `variant`. */
  const keepsServing = async (variant: string) => {
    const before = agent.stats.inferences;
    await waitFor(`more inferences on ${variant}`, () => agent.stats.inferences >= before + 5);
    expect(agent.stats.activeVariant).toBe(variant);
  };

  beforeAll(async () => {
    server = await startNatsServer();
    nc = await connectNats({ servers: server.url, name: "run-loop-test" });
    await ensureControlPlane(nc);
    kv = await new Kvm(nc).open(KV_BUCKETS.deploy);
    store = await openModelStore(nc);
    const bytes = new Uint8Array(await readFile(join(MODELS_DIR, "nab-conv-autoencoder.onnx")));
    const stored = await putObjectBytes(store, objectNames.modelOriginal(ORG, MODEL), bytes);
    fp32Sha = stored.sha256;
    fp32 = manifest("fp32", stored.name, stored, AUTOENCODER_IO);

    const sub = nc.subscribe(subjects.heartbeat(ORG, DEVICE));
    void (async () => {
      for await (const m of sub) {
        const d = decode(ZHeartbeat, m.data);
        heartbeats.push(d.ok ? d.value : d.error);
      }
    })();

    stateDir = await tempStateDir();
    await writeTestIdentity(stateDir, identityFor(ORG, DEVICE, server.url));
    agent = await startAgent({
      stateDir,
      rateHz: 25,
      input: {
        kind: "csv",
        path: `${SHARED_DIR}/datasets/nab/realKnownCause/machine_temperature_system_failure.csv`,
      },
      flushMs: 250,
      heartbeatMs: 300,
      progress: false,
      log,
    });
  });

  afterAll(async () => {
    await agent?.stop();
    await nc?.close();
    await server?.stop();
    await removeTempDirs();
  });

  it("serves its assignment and streams metered telemetry batches to TELEMETRY", async () => {
    await kv.put(key, assignment("fp32", [fp32]));
    await waitFor("fp32 serving", () => agent.stats.activeVariant === "fp32");
    await waitFor("3 published batches", () => agent.stats.telemetry.published >= 3);

    const batches = await readTelemetry(nc, subjects.telemetryEnergy(ORG, DEVICE));
    expect(batches.length).toBeGreaterThanOrEqual(3);
    const samples = batches.flatMap((b) => b.batch.samples);
    for (const { batch, msgId } of batches) {
      expect(batch.orgId).toBe(ORG);
      expect(batch.deviceId).toBe(DEVICE);
      expect(batch.boot).toBe(agent.boot);
      expect(batch.simulated).toBe(false);
      expect(batch.samples.length).toBeLessThanOrEqual(100);
      expect(msgId).toBe(telemetryMsgId(DEVICE, agent.boot, batch.samples[0]?.seq ?? -1));
    }
    // seq increases by one per sample, across batches, from 0.
    expect(samples.map((s) => s.seq)).toEqual(samples.map((_, i) => i));
    for (const s of samples) {
      expect(s.kind).toBe("inference");
      expect(s.energySource).toBe("model");
      expect(s.energyJ).toBeGreaterThan(0);
      expect(s.durationMs).toBeGreaterThan(0);
      expect(s.modelId).toBe(MODEL);
      expect(s.variant).toBe("fp32");
      expect(s.threads).toBe(1);
      expect(s.priority).toBe("normal");
      expect(s.ok).toBe(true);
      expect(s.state.memBytes).toBeGreaterThan(0);
      expect(s.state.powerState).toMatch(/^(mains|battery|unknown)$/);
    }

    // The variant sits verified in the cache under its sha256, private.
    const cached = join(stateDir, "cache", `${fp32Sha}.onnx`);
    expect((await stat(cached)).mode & 0o777).toBe(0o600);
    expect(agent.stats.downloads).toBe(1);
  });

  it("publishes heartbeats to its heartbeat subject", async () => {
    await waitFor("a heartbeat naming the variant", () =>
      heartbeats.some((h) => (h as { variant?: string }).variant === "fp32"),
    );
    const hb = heartbeats.find((h) => (h as { variant?: string }).variant === "fp32") as {
      deviceId: string;
      boot: string;
      meter: string;
      modelId: string;
    };
    expect(hb.deviceId).toBe(DEVICE);
    expect(hb.boot).toBe(agent.boot);
    expect(hb.meter).toBe("model");
    expect(hb.modelId).toBe(MODEL);
  });

  it("refuses a tampered object (sha256 mismatch) and keeps serving the previous model", async () => {
    // The "real" int8 file the portal registered…
    const genuine = new Uint8Array(await readFile(join(MODELS_DIR, "sensor-gpt.onnx")));
    const genuineSha = sha256(genuine);
    // …and what an attacker left in the store under its name, keeping the metadata that vouches for the original.
    const tampered = genuine.slice();
    tampered[tampered.length >> 1] = (tampered[tampered.length >> 1] ?? 0) ^ 0xff;
    const name = objectNames.modelVariant(ORG, MODEL, "int8-dynamic");
    await store.putBlob({ name, metadata: { sha256: genuineSha } }, tampered);
    const int8 = manifest(
      "int8-dynamic",
      name,
      { sha256: genuineSha, sizeBytes: genuine.length },
      AUTOENCODER_IO,
    );

    const rejectedBefore = agent.stats.variantsRejected;
    await kv.put(key, assignment("int8-dynamic", [fp32, int8]));
    await waitFor("the rejection", () => agent.stats.variantsRejected === rejectedBefore + 1);
    expect(agent.stats.lastError).toMatch(/sha256 mismatch/);
    expect(
      log.entries.some((e) => e.msg.startsWith("variant rejected") && /sha256/.test(String(e.obj.err))),
    ).toBe(true);
    await keepsServing("fp32");

    // Nothing of the tampered download was kept.
    const files = await readdir(join(stateDir, "cache"));
    expect(files.some((f) => f.startsWith(genuineSha) || f.includes(".part-"))).toBe(false);

    // An object whose metadata itself disagrees with the assignment is refused before any download.
    await putObjectBytes(store, name, tampered);
    await kv.put(key, assignment("int8-dynamic", [fp32, int8]));
    await waitFor("the second rejection", () => agent.stats.variantsRejected === rejectedBefore + 2);
    expect(agent.stats.lastError).toMatch(/sha256 mismatch/);
    await keepsServing("fp32");
  });

  it("refuses a variant onnxruntime cannot load and keeps serving the previous model", async () => {
    const junk = new TextEncoder().encode("this is not an ONNX model at all");
    const stored = await putObjectBytes(store, objectNames.modelVariant(ORG, MODEL, "broken"), junk);
    const broken = manifest("broken", stored.name, stored, AUTOENCODER_IO);
    const before = agent.stats.variantsRejected;
    await kv.put(key, assignment("broken", [fp32, broken]));
    await waitFor("the rejection", () => agent.stats.variantsRejected === before + 1);
    expect(agent.stats.lastError).toMatch(/does not load in onnxruntime/);
    await keepsServing("fp32");
  });

  it("ignores malformed assignments and keeps serving", async () => {
    const bad: Array<[string, Uint8Array, RegExp]> = [
      ["not JSON", new TextEncoder().encode("{ not json"), /not valid UTF-8 JSON/],
      [
        "the wrong shape",
        new TextEncoder().encode(JSON.stringify({ type: "deploy.assignment", v: 1, data: { ladder: [] } })),
        /deploy.assignment v1 is invalid/,
      ],
      [
        "addressed to another device",
        encode(ZDeploymentAssignment, {
          deploymentId: "dep_other",
          orgId: ORG,
          deviceId: "dev_someone_else",
          modelId: MODEL,
          modelName: "nab-conv-autoencoder",
          ladder: [fp32],
          policy: { mode: "static", variant: "fp32" },
          updatedAt: Date.now(),
        }),
        /addressed to .*dev_someone_else/,
      ],
    ];
    for (const [what, value, message] of bad) {
      const before = agent.stats.assignmentsInvalid;
      await kv.put(key, value);
      await waitFor(
        `an assignment that is ${what} to be ignored`,
        () => agent.stats.assignmentsInvalid === before + 1,
      );
      expect(agent.stats.lastError).toMatch(message);
      await keepsServing("fp32");
    }
    expect(log.entries.filter((e) => e.msg.startsWith("assignment ignored")).length).toBeGreaterThanOrEqual(
      3,
    );
  });

  it("swaps to a new model between requests (int64 token inputs)", async () => {
    const bytes = new Uint8Array(await readFile(join(MODELS_DIR, "sensor-gpt.onnx")));
    const stored = await putObjectBytes(store, objectNames.modelOriginal(ORG, GPT), bytes);
    const gpt = manifest("fp32", stored.name, stored, SENSOR_GPT_IO);
    const inferencesBefore = agent.stats.inferences;
    await kv.put(key, assignment("fp32", [gpt], GPT));
    await waitFor("the gpt model serving", async () => {
      const s = await findStatus(stateDir);
      return s?.activeVariant?.sha256 === stored.sha256;
    });
    await waitFor("inferences on the new model", () => agent.stats.inferences > inferencesBefore + 10);
    expect(agent.stats.inferenceErrors).toBe(0);
    await waitFor("a published batch from the new model", async () => {
      const all = (await readTelemetry(nc, subjects.telemetryEnergy(ORG, DEVICE))).flatMap(
        (b) => b.batch.samples,
      );
      return all.some((s) => s.modelId === GPT && s.variant === "fp32" && s.ok && s.energyJ > 0);
    });
  });

  it("reports itself in status.json and `edgewatt-agent status`", async () => {
    const status = await findStatus(stateDir);
    expect(status?.running).toBe(true);
    expect(status?.boot).toBe(agent.boot);
    expect(status?.assignment?.modelId).toBe(GPT);
    expect(status?.meter.source).toBe("model");
    const out: string[] = [];
    const io: CliIo = { out: (l) => out.push(l), err: (l) => out.push(l) };
    expect(await runCli(["status", "--state-dir", stateDir], io)).toBe(0);
    const text = out.join("\n");
    expect(text).toContain(`(${DEVICE}) in org ${ORG}`);
    expect(text).toMatch(/agent\s+running/);
    expect(text).toContain("nab-conv-autoencoder/fp32");
    expect(text).toContain("sensor-gpt/fp32");
    expect(text).toMatch(/outbox\s+\d+ batch/);
  });

  it("stops gracefully: the in-flight inference finishes and the outbox is flushed", async () => {
    await agent.stop();
    expect(agent.stats.outbox.depth).toBe(0);
    const samples = (await readTelemetry(nc, subjects.telemetryEnergy(ORG, DEVICE))).flatMap(
      (b) => b.batch.samples,
    );
    // Every sample measured in this boot reached the stream, once.
    expect(samples.length).toBe(agent.stats.telemetry.samples);
    expect(new Set(samples.map((s) => s.seq)).size).toBe(samples.length);
    const status = await findStatus(stateDir);
    expect(status?.running).toBe(false);
    await expect(stat(join(stateDir, "agent.lock"))).rejects.toThrow();
  });
});
