import { countSamples, createDb, findRecentSamples, newId } from "@edgewatt/db";
import { encode, subjects, type TelemetryBatch, telemetryMsgId, ZTelemetryBatch } from "@edgewatt/protocol";
import { type JetStreamClient, jetstream } from "@nats-io/jetstream";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type Harness, seedOrg, startHarness, waitFor } from "./support";

function makeBatch(
  orgId: string,
  deviceId: string,
  boot: string,
  firstSeq: number,
  n: number,
): TelemetryBatch {
  return {
    orgId,
    deviceId,
    boot,
    simulated: false,
    samples: Array.from({ length: n }, (_, i) => ({
      seq: firstSeq + i,
      ts: 1_760_000_000_000 + (firstSeq + i) * 1000,
      kind: "inference" as const,
      energyJ: 0.0125 + i * 0.001,
      energySource: "model" as const,
      durationMs: 1.5,
      modelId: null,
      variant: "int8-dynamic",
      threads: 1,
      priority: "normal" as const,
      ok: true,
      decision: null,
      state: {
        batteryPct: 80,
        powerState: "battery" as const,
        cpuPct: 12,
        memBytes: 1_000_000,
        queueDepth: 0,
      },
    })),
  };
}

describe("telemetry ingestion", () => {
  let h: Harness;
  let js: JetStreamClient;
  let orgId: string;
  const devA = newId("dev");
  const devB = newId("dev");
  const boot = newId("boot");

  beforeAll(async () => {
    h = await startHarness();
    js = jetstream(h.nc);
    orgId = await seedOrg(h.db);
  });
  afterAll(async () => {
    await h?.close();
  });

  const publish = (subject: string, batch: TelemetryBatch, msgID: string) =>
    js.publish(subject, encode(ZTelemetryBatch, batch), { msgID });
  const count = (deviceId: string) => countSamples(h.db, { orgId, deviceId });

  it("stores a valid batch exactly once, whatever the Msg-Id of a re-send", async () => {
    const batch = makeBatch(orgId, devA, boot, 0, 5);
    const msgId = telemetryMsgId(devA, boot, 0);
    await publish(subjects.telemetryEnergy(orgId, devA), batch, msgId);
    await waitFor("5 samples", async () => (await count(devA)) === 5);

    const rows = await findRecentSamples(h.db, { orgId, deviceId: devA, limit: 10 });
    expect(rows.map((r) => r.seq).sort()).toEqual([0, 1, 2, 3, 4]);
    expect(rows[0]).toMatchObject({
      boot,
      energySource: "model",
      variant: "int8-dynamic",
      powerState: "battery",
    });

    // Same Msg-Id: JetStream drops it inside its duplicate window.
    const ack = await publish(subjects.telemetryEnergy(orgId, devA), batch, msgId);
    expect(ack.duplicate).toBe(true);

    // Different Msg-Id (e.g. re-sent from the outbox after the window): Postgres' unique key catches it.
    const duplicates = h.worker.stats.telemetry.duplicates;
    await publish(subjects.telemetryEnergy(orgId, devA), batch, `${msgId}-resent`);
    await waitFor("the duplicate samples", () => h.worker.stats.telemetry.duplicates === duplicates + 5);
    expect(await count(devA)).toBe(5);

    // A batch overlapping stored samples inserts only the new ones.
    await publish(
      subjects.telemetryEnergy(orgId, devA),
      makeBatch(orgId, devA, boot, 3, 4),
      telemetryMsgId(devA, boot, 3),
    );
    await waitFor("7 samples", async () => (await count(devA)) === 7);
  });

  it("rejects malformed and schema-violating messages, counts them, and keeps ingesting", async () => {
    const rejected = h.worker.stats.telemetry.rejected;
    const subject = subjects.telemetryEnergy(orgId, devA);
    await js.publish(subject, new TextEncoder().encode("{ this is not json"), { msgID: "garbage-1" });
    const bad = makeBatch(orgId, devA, boot, 100, 2) as unknown as { samples: { energyJ: number }[] };
    bad.samples[0]!.energyJ = -1; // negative energy: the schema refuses it
    await js.publish(
      subject,
      new TextEncoder().encode(JSON.stringify({ type: "telemetry.batch", v: 1, data: bad })),
      {
        msgID: "garbage-2",
      },
    );
    await publish(subject, makeBatch(orgId, devA, boot, 200, 3), telemetryMsgId(devA, boot, 200));

    await waitFor("the valid batch after the bad ones", async () => (await count(devA)) === 10);
    expect(h.worker.stats.telemetry.rejected).toBe(rejected + 2);
    expect(h.log.lines.some((l) => l.level === "warn" && /rejected malformed message/.test(l.msg))).toBe(
      true,
    );
  });

  it("rejects a batch published on device A's subject that claims to be from device B", async () => {
    const rejected = h.worker.stats.telemetry.rejected;
    await publish(
      subjects.telemetryEnergy(orgId, devA),
      makeBatch(orgId, devB, boot, 50, 3),
      telemetryMsgId(devB, boot, 50),
    );
    // …and one claiming another org.
    const otherOrg = newId("org");
    await publish(
      subjects.telemetryEnergy(orgId, devA),
      makeBatch(otherOrg, devA, boot, 500, 1),
      telemetryMsgId(devA, boot, 500),
    );
    await waitFor("two identity rejections", () => h.worker.stats.telemetry.rejected === rejected + 2);
    expect(await count(devB)).toBe(0);
    expect(await countSamples(h.db, { orgId: otherOrg })).toBe(0);
    expect(h.log.lines.some((l) => /a device may only report for itself/.test(l.msg))).toBe(true);
  });

  it("naks a batch while the database is unavailable and stores it once it is back", async () => {
    // A worker on a closed pool: every insert fails, so the batch must be redelivered, not dropped.
    const broken = createDb(h.tdb.url, { max: 1 });
    await broken.close();
    const worker = await h.restartWorker(broken.db);
    await publish(
      subjects.telemetryEnergy(orgId, devB),
      makeBatch(orgId, devB, boot, 0, 4),
      telemetryMsgId(devB, boot, 0),
    );
    await waitFor("failed inserts", () => worker.stats.telemetry.failed >= 2);
    expect(await count(devB)).toBe(0);

    await h.restartWorker();
    await waitFor("the batch after recovery", async () => (await count(devB)) === 4);
  });
});
