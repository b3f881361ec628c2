import { readFile } from "node:fs/promises";
import { join } from "node:path";
import {
  connectNats,
  ensureControlPlane,
  type NatsConnection,
  openModelStore,
  putObjectBytes,
} from "@edgewatt/nats";
import {
  encode,
  KV_BUCKETS,
  kvKeys,
  objectNames,
  subjects,
  telemetryMsgId,
  ZTelemetryBatch,
} from "@edgewatt/protocol";
import { jetstream } from "@nats-io/jetstream";
import { Kvm } from "@nats-io/kv";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startAgent } from "../src/agent/start-agent";
import { createRecordingLogger } from "../src/log";
import { statePaths } from "../src/state/paths";
import { Outbox } from "../src/telemetry/outbox";
import {
  AUTOENCODER_IO,
  assignmentBytes,
  identityFor,
  MODELS_DIR,
  manifest,
  readTelemetry,
  removeTempDirs,
  restartableNats,
  tempStateDir,
  waitFor,
  writeTestIdentity,
} from "./helpers";

const ORG = "org_outbox1";

describe("telemetry outbox with a real broker", () => {
  let nats: Awaited<ReturnType<typeof restartableNats>>;
  let nc: NatsConnection;

  beforeAll(async () => {
    nats = await restartableNats();
    nc = await connectNats({ servers: nats.url, name: "outbox-test" });
    await ensureControlPlane(nc);
  });
  afterAll(async () => {
    await nc?.close();
    await nats?.destroy();
    await removeTempDirs();
  });

  it("replays batches a previous run left in the outbox, with their original Msg-Ids", async () => {
    const device = "dev_replay";
    const stateDir = await tempStateDir();
    await writeTestIdentity(stateDir, identityFor(ORG, device, nats.url));
    const subject = subjects.telemetryEnergy(ORG, device);
    const oldBoot = "oldboot-1";
    const batch = (seqs: number[]) =>
      encode(ZTelemetryBatch, {
        orgId: ORG,
        deviceId: device,
        boot: oldBoot,
        samples: seqs.map((seq) => ({
          seq,
          ts: Date.now(),
          kind: "inference" as const,
          energyJ: 0.01,
          energySource: "model" as const,
          durationMs: 1,
        })),
      });
    const outbox = await Outbox.open(statePaths(stateDir).outbox, { maxEntries: 100 });
    const first = { subject, msgId: telemetryMsgId(device, oldBoot, 0), payload: batch([0, 1, 2]) };
    const second = { subject, msgId: telemetryMsgId(device, oldBoot, 3), payload: batch([3, 4]) };
    await outbox.append(first);
    await outbox.append(second);
    // The first batch had reached the stream before the old process died, its PubAck lost.
    await jetstream(nc).publish(first.subject, first.payload, { msgID: first.msgId });

    const agent = await startAgent({ stateDir, progress: false, log: createRecordingLogger(), flushMs: 200 });
    try {
      await waitFor("the outbox to drain", () => agent.stats.outbox.depth === 0);
      expect(agent.stats.telemetry.duplicates).toBe(1);
    } finally {
      await agent.stop();
    }
    // The new run adds its own periodic samples under its own boot id; the old run's arrive once each.
    const stored = (await readTelemetry(nc, subject)).filter((s) => s.batch.boot === oldBoot);
    expect(stored.map((s) => s.msgId)).toEqual([first.msgId, second.msgId]);
    expect(stored.flatMap((s) => s.batch.samples.map((x) => x.seq))).toEqual([0, 1, 2, 3, 4]);
  });

  it("keeps measuring through a broker outage and delivers every sample exactly once after it", async () => {
    const device = "dev_outage";
    const store = await openModelStore(nc);
    const bytes = new Uint8Array(await readFile(join(MODELS_DIR, "nab-conv-autoencoder.onnx")));
    const stored = await putObjectBytes(store, objectNames.modelOriginal(ORG, "mdl_o"), bytes);
    const kv = await new Kvm(nc).open(KV_BUCKETS.deploy);
    const assignment = (deploymentId: string) =>
      assignmentBytes({
        deploymentId,
        orgId: ORG,
        deviceId: device,
        modelId: "mdl_o",
        modelName: "nab",
        ladder: [manifest("fp32", stored.name, stored, AUTOENCODER_IO)],
        policy: { mode: "static", variant: "fp32" },
      });
    await kv.put(kvKeys.deviceAssignment(ORG, device), assignment("dep_o"));
    await nc.close();

    const stateDir = await tempStateDir();
    await writeTestIdentity(stateDir, identityFor(ORG, device, nats.url));
    const log = createRecordingLogger();
    const agent = await startAgent({ stateDir, rateHz: 20, flushMs: 200, progress: false, log });
    try {
      await waitFor("telemetry flowing", () => agent.stats.telemetry.published >= 2);

      await nats.stop();
      await waitFor("the disconnect", () => !agent.stats.connected);
      const inferencesAtOutage = agent.stats.inferences;
      await waitFor("batches piling up in the outbox", () => agent.stats.outbox.depth >= 4);
      expect(agent.stats.inferences).toBeGreaterThan(inferencesAtOutage);
      expect(log.entries.some((e) => e.msg.startsWith("disconnected from NATS"))).toBe(true);

      await nats.start();
      await waitFor("the reconnect", () => agent.stats.connected, 30_000);
      await waitFor("the outbox to drain", () => agent.stats.outbox.depth === 0, 30_000);

      // The assignment watch survived the server restart: a new assignment still arrives.
      const seen = agent.stats.assignmentsSeen;
      const nc2 = await connectNats({ servers: nats.url, name: "outbox-test-assign" });
      await (await new Kvm(nc2).open(KV_BUCKETS.deploy)).put(
        kvKeys.deviceAssignment(ORG, device),
        assignment("dep_o2"),
      );
      await nc2.close();
      await waitFor("the post-restart assignment", () => agent.stats.assignmentsSeen === seen + 1, 30_000);
    } finally {
      await agent.stop();
    }
    expect(agent.stats.outbox.depth).toBe(0);
    expect(agent.stats.outbox.dropped).toBe(0);
    expect(log.entries.some((e) => e.msg.startsWith("reconnected to NATS; replaying the outbox"))).toBe(true);

    nc = await connectNats({ servers: nats.url, name: "outbox-test-2" });
    const batches = await readTelemetry(nc, subjects.telemetryEnergy(ORG, device));
    const msgIds = batches.map((b) => b.msgId);
    expect(new Set(msgIds).size).toBe(msgIds.length);
    const seqs = batches.flatMap((b) => b.batch.samples.map((s) => s.seq)).sort((a, b) => a - b);
    expect(seqs).toEqual(Array.from({ length: agent.stats.telemetry.samples }, (_, i) => i));
  });
});
