import { mkdir, readdir, readFile, writeFile } from "node:fs/promises";
import { join, resolve } from "node:path";
import { connectNats, ensureControlPlane, openModelStore, putObjectBytes } from "@edgewatt/nats";
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
import { afterAll, beforeAll, describe, expect, it, type TestContext } from "vitest";
import { startAgent } from "../src/agent/start-agent";
import { createRecordingLogger } from "../src/log";
import { statePaths } from "../src/state/paths";
import { Outbox } from "../src/telemetry/outbox";
import { type SampleInput, TelemetryPublisher } from "../src/telemetry/telemetry-publisher";
import { mountTinyTmpfs, type TinyTmpfs } from "../src/telemetry/tiny-tmpfs.test-helper";
import {
  AUTOENCODER_IO,
  assignmentBytes,
  identityFor,
  manifest,
  readTelemetry,
  removeTempDirs,
  restartableNats,
  tempStateDir,
  waitFor,
  writeTestIdentity,
} from "./helpers";

const ORG = "org_diskfull1";
/** The repository's sample model (samples/models), present in every checkout. */
const SAMPLE_MODEL = resolve(import.meta.dirname, "../../../samples/models/nab-conv-autoencoder.onnx");

/** Mounts a 64 KiB tmpfs on `dir`, or skips the test (saying why) where mounting is not allowed. */
async function tinyDisk(ctx: TestContext, dir: string, mounted: TinyTmpfs[]): Promise<TinyTmpfs> {
  const fs = await mountTinyTmpfs(dir);
  if (typeof fs === "string") {
    console.warn(`skipped: ${fs}`);
    return ctx.skip(fs);
  }
  mounted.push(fs);
  return fs;
}

const entryFiles = async (dir: string) => (await readdir(dir)).filter((n) => /^\d{15}-\d{9}\.json$/.test(n));

function sample(i: number): SampleInput {
  return {
    ts: Date.now(),
    kind: "inference",
    energyJ: 0.001 * (1 + (i % 7)),
    energySource: "model",
    durationMs: 0.5,
    modelId: "mdl_x",
    variant: "fp32",
    threads: 1,
    priority: "normal",
    ok: true,
    decision: null,
    state: { batteryPct: null, powerState: "mains", cpuPct: 10, memBytes: 1_000_000, queueDepth: 0 },
  };
}

describe("telemetry outbox on a full disk, with a real broker", () => {
  let nats: Awaited<ReturnType<typeof restartableNats>>;
  const mounted: TinyTmpfs[] = [];

  beforeAll(async () => {
    nats = await restartableNats();
    const nc = await connectNats({ servers: nats.url, name: "disk-full-test" });
    await ensureControlPlane(nc);
    await nc.close();
  });
  afterAll(async () => {
    for (const fs of mounted.splice(0)) await fs.unmount();
    await nats?.destroy();
    await removeTempDirs();
  });

  it("publishes from memory, moves to disk when space returns, survives an outage: every sample once", async (ctx) => {
    const device = "dev_full_pub";
    const base = await tempStateDir();
    const disk = await tinyDisk(ctx, join(base, "outbox"), mounted);
    const dir = join(disk.dir, "outbox");
    const outbox = await Outbox.open(dir, { maxEntries: 10_000, retryMinMs: 100, retryMaxMs: 400 });
    const log = createRecordingLogger();
    const boot = "boot-full-1";
    const subject = subjects.telemetryEnergy(ORG, device);
    const publisher = new TelemetryPublisher({
      outbox,
      orgId: ORG,
      deviceId: device,
      boot,
      subject,
      log,
      flushMs: 50,
      retryMinMs: 100,
      retryMaxMs: 500,
    });

    // The broker side, wired like the agent: a publisher while connected, none while not.
    const nc = await connectNats({ servers: nats.url, name: "disk-full-publisher", reconnectForever: true });
    const js = jetstream(nc);
    const publish = async (e: { subject: string; payload: Uint8Array; msgId: string }) => {
      const ack = await js.publish(e.subject, e.payload, { msgID: e.msgId, timeout: 2000 });
      return { duplicate: ack.duplicate };
    };
    let connected = true;
    void (async () => {
      for await (const s of nc.status()) {
        if (s.type === "disconnect") {
          connected = false;
          publisher.setPublisher(null);
        } else if (s.type === "reconnect") {
          connected = true;
          publisher.setPublisher(publish);
        }
      }
    })();
    publisher.setPublisher(publish);
    publisher.start();

    // The "inference loop": a sample every 4 ms; record() must never throw, whatever the disk does.
    let recorded = 0;
    let thrown = 0;
    const recorder = setInterval(() => {
      try {
        publisher.record(sample(recorded++));
      } catch {
        thrown++;
      }
    }, 4);

    try {
      await waitFor("batches on disk and published", () => publisher.stats.published >= 3);
      expect(outbox.stats.outboxWriteFailures).toBe(0);

      // 1. The disk fills up while the broker is reachable: batches go from memory straight to JetStream.
      const filler = await disk.fill();
      const publishedAtFull = publisher.stats.published;
      await waitFor("write failures", () => outbox.stats.outboxWriteFailures >= 1);
      await waitFor("publishing from memory", () => publisher.stats.published >= publishedAtFull + 10);
      expect(await entryFiles(dir)).toHaveLength(0);

      // 2. The broker goes away too: everything accepted piles up in memory.
      await nats.stop();
      await waitFor("the disconnect", () => !connected);
      await waitFor("batches held in memory", () => outbox.stats.heldInMemory >= 20);
      const recordedDuringOutage = recorded;
      await waitFor("more samples recorded", () => recorded >= recordedDuringOutage + 100);

      // 3. Some space returns (the broker is still down): held batches move to disk, oldest first, until the
      // 64 KiB are full again; the rest stays held — behind them, never ahead.
      const heldBefore = outbox.stats.heldInMemory;
      await disk.free();
      await waitFor("held batches moved to disk", () => outbox.movedToDisk >= 3, 10_000);
      const files = await entryFiles(dir);
      expect(files.length).toBeGreaterThanOrEqual(3);
      const pending = outbox.pendingIds();
      expect(files.sort()).toEqual(pending.filter((id) => !outbox.isHeld(id)));
      expect(pending.slice(0, files.length)).toEqual(files);
      expect(outbox.stats.heldInMemory).toBeLessThan(heldBefore + 50);

      // 4. The broker returns: the outbox drains.
      await nats.start();
      await waitFor("the reconnect", () => connected, 30_000);
      const recordedAtRestore = recorded;
      await waitFor("more samples after the reconnect", () => recorded >= recordedAtRestore + 50);
      clearInterval(recorder);
      await publisher.stop(10_000);
      expect(outbox.depth).toBe(0);
      expect(filler).toBeGreaterThan(0);
    } finally {
      clearInterval(recorder);
      await publisher.stop(0);
    }

    expect(thrown).toBe(0);
    expect(outbox.stats).toMatchObject({ depth: 0, heldInMemory: 0, dropped: 0, corrupt: 0 });
    expect(publisher.stats.samples).toBe(recorded);
    const batches = await readTelemetry(nc, subject);
    await nc.close();
    const msgIds = batches.map((b) => b.msgId);
    expect(new Set(msgIds).size).toBe(msgIds.length);
    for (const b of batches)
      expect(b.msgId).toBe(telemetryMsgId(device, boot, b.batch.samples[0]?.seq ?? -1));
    const seqs = batches.flatMap((b) => b.batch.samples.map((s) => s.seq));
    // In order on the stream, and every sample exactly once.
    expect(seqs).toEqual(Array.from({ length: recorded }, (_, i) => i));

    // One error for the episode (however many writes failed), one line when it ended, no loss reported.
    const errors = log.entries.filter((e) => e.level === "error");
    expect(errors.map((e) => e.msg)).toHaveLength(1);
    expect(errors[0]?.msg).toMatch(
      new RegExp(
        `^outbox disk full at ${dir}: free space on that filesystem \\(check with: df -h ${dir}\\); \\d+ batch(es)? held in memory`,
      ),
    );
    expect(outbox.stats.outboxWriteFailures).toBeGreaterThan(1);
    expect(
      log.entries.filter((e) => /accepts writes again; \d+ batches moved from memory to disk/.test(e.msg)),
    ).toHaveLength(1);
    console.log(
      JSON.stringify({
        test: "disk-full publisher",
        samples: recorded,
        batches: batches.length,
        outboxWriteFailures: outbox.stats.outboxWriteFailures,
        movedToDisk: outbox.movedToDisk,
      }),
    );
  });

  it("the agent keeps serving with its outbox on a full disk and, after an outage, every sample arrives once", async (ctx) => {
    const device = "dev_full_agent";
    const stateDir = await tempStateDir();
    const disk = await tinyDisk(ctx, statePaths(stateDir).outbox, mounted);
    await writeTestIdentity(stateDir, identityFor(ORG, device, nats.url));
    const nc = await connectNats({ servers: nats.url, name: "disk-full-agent-setup" });
    const bytes = new Uint8Array(await readFile(SAMPLE_MODEL));
    const stored = await putObjectBytes(
      await openModelStore(nc),
      objectNames.modelOriginal(ORG, "mdl_full"),
      bytes,
    );
    await (await new Kvm(nc).open(KV_BUCKETS.deploy)).put(
      kvKeys.deviceAssignment(ORG, device),
      assignmentBytes({
        deploymentId: "dep_full",
        orgId: ORG,
        deviceId: device,
        modelId: "mdl_full",
        modelName: "nab",
        ladder: [manifest("fp32", stored.name, stored, AUTOENCODER_IO)],
        policy: { mode: "static", variant: "fp32" },
      }),
    );
    await nc.close();

    const log = createRecordingLogger();
    const agent = await startAgent({ stateDir, rateHz: 40, flushMs: 200, progress: false, log });
    try {
      await waitFor("telemetry flowing", () => agent.stats.telemetry.published >= 2, 30_000);
      await disk.fill();
      await waitFor("write failures", () => agent.stats.outbox.outboxWriteFailures >= 1);
      const published = agent.stats.telemetry.published;
      await waitFor("publishing from memory", () => agent.stats.telemetry.published >= published + 5);

      await nats.stop();
      await waitFor("the disconnect", () => !agent.stats.connected);
      const inferences = agent.stats.inferences;
      await waitFor("batches held in memory", () => agent.stats.outbox.heldInMemory >= 10);
      expect(agent.stats.inferences).toBeGreaterThan(inferences);

      await disk.free();
      await nats.start();
      await waitFor("the reconnect", () => agent.stats.connected, 30_000);
      await waitFor("the outbox to drain", () => agent.stats.outbox.depth === 0, 30_000);
    } finally {
      await agent.stop();
    }
    expect(agent.stats.outbox).toMatchObject({ depth: 0, heldInMemory: 0, dropped: 0 });
    expect(log.entries.filter((e) => e.msg.startsWith("outbox disk full at "))).toHaveLength(1);

    const reader = await connectNats({ servers: nats.url, name: "disk-full-agent-read" });
    const batches = await readTelemetry(reader, subjects.telemetryEnergy(ORG, device));
    await reader.close();
    const msgIds = batches.map((b) => b.msgId);
    expect(new Set(msgIds).size).toBe(msgIds.length);
    const seqs = batches.flatMap((b) => b.batch.samples.map((s) => s.seq)).sort((a, b) => a - b);
    expect(seqs).toEqual(Array.from({ length: agent.stats.telemetry.samples }, (_, i) => i));
  });

  it("replays the good batches past bad files left in the outbox directory", async () => {
    const device = "dev_bad_files";
    const stateDir = await tempStateDir();
    await writeTestIdentity(stateDir, identityFor(ORG, device, nats.url));
    const dir = statePaths(stateDir).outbox;
    const subject = subjects.telemetryEnergy(ORG, device);
    const oldBoot = "oldboot-bad";
    const outbox = await Outbox.open(dir, { maxEntries: 100 });
    const tick = () => new Promise((r) => setTimeout(r, 3));
    /** A file named like an entry, sorting after everything appended so far and before what comes next. */
    const bad = async (content: string | Uint8Array | "dir") => {
      await tick();
      const name = join(dir, `${String(Date.now()).padStart(15, "0")}-999999999.json`);
      if (content === "dir") await mkdir(name);
      else await writeFile(name, content);
      await tick();
    };
    await writeFile(join(dir, "000000000000000-000000001.json"), ""); // before everything: empty
    const good = [];
    const junk: Array<string | Uint8Array | "dir"> = [
      '{"subject":"a","msgId":"b","createdAt":1,"pay', // truncated
      new Uint8Array([0xde, 0xad, 0xbe, 0xef]), // binary
      JSON.stringify({ subject }), // wrong schema
      "dir", // a directory
    ];
    for (const first of [0, 3, 6]) {
      const samples = [0, 1, 2].map((k) => ({ ...sample(first + k), seq: first + k }));
      good.push(
        await outbox.append({
          subject,
          msgId: telemetryMsgId(device, oldBoot, first),
          payload: encode(ZTelemetryBatch, { orgId: ORG, deviceId: device, boot: oldBoot, samples }),
        }),
      );
      await bad(junk[first / 3] ?? "");
    }
    await bad(junk[3] ?? "");

    const agent = await startAgent({ stateDir, progress: false, log: createRecordingLogger(), flushMs: 200 });
    try {
      await waitFor("the outbox to drain", () => agent.stats.outbox.depth === 0);
    } finally {
      await agent.stop();
    }
    expect(agent.stats.outbox.corrupt).toBe(5);
    const nc = await connectNats({ servers: nats.url, name: "bad-files-read" });
    // The new run's own periodic samples carry its own boot id.
    const stored = (await readTelemetry(nc, subject)).filter((s) => s.batch.boot === oldBoot);
    await nc.close();
    expect(stored.map((s) => s.msgId)).toEqual(good.map((g) => g.msgId));
    expect(stored.flatMap((s) => s.batch.samples.map((x) => x.seq))).toEqual([0, 1, 2, 3, 4, 5, 6, 7, 8]);
  });
});
