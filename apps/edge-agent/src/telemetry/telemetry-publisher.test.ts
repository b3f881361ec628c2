import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, beforeEach, describe, expect, it, type TestContext } from "vitest";
import { createRecordingLogger } from "../log";
import { Outbox } from "./outbox";
import { type SampleInput, TelemetryPublisher } from "./telemetry-publisher";
import { mountTinyTmpfs, type TinyTmpfs } from "./tiny-tmpfs.test-helper";

const sample = (): SampleInput => ({
  ts: Date.now(),
  kind: "periodic",
  energyJ: 0.5,
  energySource: "model",
  durationMs: 1000,
  modelId: null,
  variant: null,
  threads: null,
  priority: null,
  ok: true,
  decision: null,
  state: { batteryPct: null, powerState: "mains", cpuPct: 5, memBytes: 1_000_000, queueDepth: 0 },
});

/** Offline throughout (no broker is set): everything stays in the outbox, on disk or in memory. */
describe("telemetry publisher on a full disk (a real 64 KiB tmpfs), offline", () => {
  let base: string;
  let fs: TinyTmpfs | string;
  beforeEach(async () => {
    base = await mkdtemp(join(tmpdir(), "ew-publisher-full-"));
    fs = await mountTinyTmpfs(join(base, "mnt"));
  });
  afterEach(async () => {
    if (typeof fs !== "string") await fs.unmount();
    await rm(base, { recursive: true, force: true });
  });
  const tmpfs = (ctx: TestContext): TinyTmpfs => {
    if (typeof fs === "string") {
      console.warn(`skipped: ${fs}`);
      return ctx.skip(fs);
    }
    return fs;
  };

  const setUp = async (disk: TinyTmpfs, outboxOpts: { maxMemoryEntries?: number } = {}) => {
    const dir = join(disk.dir, "outbox");
    const outbox = await Outbox.open(dir, {
      maxEntries: 1000,
      retryMinMs: 20,
      retryMaxMs: 40,
      ...outboxOpts,
    });
    const log = createRecordingLogger();
    const publisher = new TelemetryPublisher({
      outbox,
      orgId: "org_a",
      deviceId: "dev_a",
      boot: "boot1",
      subject: "ew.org_a.dev.dev_a.tele.energy",
      log,
      flushMs: 10_000,
    });
    /** Records `n` samples and flushes them as one batch. */
    const batch = async (n = 1) => {
      for (let i = 0; i < n; i++) publisher.record(sample());
      await publisher.flush();
    };
    return { dir, outbox, log, publisher, batch };
  };

  it("one error when the disk fills, one more only if it starts dropping, one info line when it is over", async (ctx) => {
    const disk = tmpfs(ctx);
    const { dir, outbox, log, publisher, batch } = await setUp(disk, { maxMemoryEntries: 5 });
    await batch();
    await disk.fill();
    for (let i = 0; i < 4; i++) await batch();
    expect(outbox.stats.heldInMemory).toBe(4);
    const errors = () => log.entries.filter((e) => e.level === "error").map((e) => e.msg);
    expect(errors()).toEqual([
      expect.stringMatching(
        new RegExp(`^outbox disk full at ${dir}: free space on that filesystem .*; 1 batch held in memory`),
      ),
    ]);

    for (let i = 0; i < 4; i++) await batch(); // past the 5-batch memory cap
    expect(outbox.stats).toMatchObject({ heldInMemory: 5, dropped: 3 });
    expect(errors()).toHaveLength(2);
    expect(errors()[1]).toMatch(/^telemetry is being lost: the outbox at .* in-memory queue is full/);
    await new Promise((r) => setTimeout(r, 50));
    await batch();
    expect(errors()).toHaveLength(2); // still one episode

    await disk.free();
    await new Promise((r) => setTimeout(r, 50));
    await publisher.flush(); // the periodic flush retries the held batches even with nothing new
    expect(outbox.stats.heldInMemory).toBe(0);
    expect(outbox.problem).toBeNull();
    const over = log.entries.filter((e) => e.level === "info");
    expect(over.map((e) => e.msg)).toEqual([
      `outbox at ${dir} accepts writes again; 5 batches moved from memory to disk`,
    ]);
    expect(publisher.stats).toMatchObject({ samples: 10, batches: 10, invalidSamples: 0 });
    await publisher.stop(0);
  });

  it("at shutdown tries the disk once more and says what is lost if it still refuses", async (ctx) => {
    const disk = tmpfs(ctx);
    const { dir, outbox, log, publisher, batch } = await setUp(disk);
    await batch(3);
    await disk.remountReadOnly();
    await batch(2);
    publisher.record(sample()); // not yet flushed: stop() flushes it into memory too
    await publisher.stop(0);
    expect(outbox.stats).toMatchObject({ depth: 3, heldInMemory: 2 });
    const errors = log.entries.filter((e) => e.level === "error").map((e) => e.msg);
    expect(errors).toEqual([
      expect.stringMatching(/^outbox filesystem is read-only at .*; 1 batch held in memory/),
      `2 telemetry batches held in memory could not be written to ${dir} and are lost with this process — ` +
        `outbox filesystem is read-only at ${dir}: remount it read-write or move --state-dir to a writable disk`,
    ]);
  });
});

describe("telemetry publisher: samples a meter or clock got wrong", () => {
  it("drops them with a warning and keeps the sequence contiguous for the rest", async () => {
    const dir = await mkdtemp(join(tmpdir(), "ew-publisher-invalid-"));
    try {
      const outbox = await Outbox.open(join(dir, "outbox"), { maxEntries: 100 });
      const log = createRecordingLogger();
      const publisher = new TelemetryPublisher({
        outbox,
        orgId: "org_a",
        deviceId: "dev_a",
        boot: "boot1",
        subject: "ew.org_a.dev.dev_a.tele.energy",
        log,
        flushMs: 10_000,
      });
      publisher.record(sample());
      publisher.record({ ...sample(), energyJ: Number.NaN });
      publisher.record({ ...sample(), durationMs: -1 });
      publisher.record({ ...sample(), state: { ...sample().state, batteryPct: 140 } });
      publisher.record(sample());
      await publisher.flush();
      expect(publisher.stats).toMatchObject({ samples: 2, invalidSamples: 3, batches: 1 });
      expect(log.entries.filter((e) => e.level === "warn").map((e) => e.msg)).toEqual([
        "telemetry sample is invalid; dropped",
        "telemetry sample is invalid; dropped",
        "telemetry sample is invalid; dropped",
      ]);
      const [id] = outbox.pendingIds();
      const entry = id ? await outbox.read(id) : null;
      const batch = JSON.parse(new TextDecoder().decode(entry?.payload)) as {
        data: { samples: Array<{ seq: number }> };
      };
      expect(batch.data.samples.map((s) => s.seq)).toEqual([0, 1]);
      await publisher.stop(0);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});
