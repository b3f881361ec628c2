/**
 * The acceptance test: "Network cut for 10 minutes while inferring, then restored: every sample arrives in
 * Postgres exactly once."
 *
 * Real parts end to end: nats-server, Postgres, the worker ingesting TELEMETRY, and the edge agent as a child
 * process (the executable systemd runs) serving the sample model with onnxruntime. Between the agent and the
 * broker sits a TCP proxy that cuts the link like a dead network (live connections reset, new ones accepted and
 * never answered). Midway through the cut the agent loses power (SIGKILL) and boots again, still offline.
 *
 * What "accepted" means: a sample is accepted once the batch holding it is in the outbox on disk (its file renamed
 * into place). Samples recorded since the last flush (at most one flush interval, 1 s) are not accepted yet; a
 * power loss legitimately loses them and only them. So, per boot, in Postgres: rows == max(seq) + 1 (no gap, no
 * duplicate); for the killed boot, every sample its outbox held on disk at the kill, and nothing after it; for
 * the boot stopped gracefully, exactly what it says it produced.
 *
 * EDGEWATT_NETCUT_MS sets the cut (default 600000 = the 10 minutes; 20000 for quick runs).
 */
import { mkdtemp, readFile, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { createDevice, createOrgWithOwner } from "@edgewatt/db";
import { createTestDatabase, type TestDatabase } from "@edgewatt/db/testing";
import { Outbox, statePaths, writeIdentity } from "@edgewatt/edge-agent";
import {
  connectNats,
  ensureControlPlane,
  type NatsConnection,
  openModelStore,
  putObjectBytes,
} from "@edgewatt/nats";
import { startNatsServer, type TestNatsServer } from "@edgewatt/nats/testing";
import {
  CONSUMERS,
  decode,
  KV_BUCKETS,
  kvKeys,
  objectNames,
  STREAMS,
  subjects,
  ZTelemetryBatch,
} from "@edgewatt/protocol";
import { type RunningWorker, startWorker } from "@edgewatt/worker";
import { DeliverPolicy, jetstream, jetstreamManager } from "@nats-io/jetstream";
import { Kvm } from "@nats-io/kv";
import { sql } from "drizzle-orm";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type AgentProcess, REPO_ROOT, spawnAgent } from "./support/agent-process";
import { type CuttableProxy, startCuttableProxy } from "./support/cuttable-proxy";
import { AUTOENCODER_IO, assignmentBytes, deviceIdentity, variantManifest } from "./support/fixtures";
import { readNetcutEnv } from "./support/netcut-env";
import { quietLogger } from "./support/quiet-logger";

const CUT_MS = readNetcutEnv().EDGEWATT_NETCUT_MS;
const RATE_HZ = 20;
const SAMPLE_MODEL = resolve(REPO_ROOT, "samples/models/nab-conv-autoencoder.onnx");
const MODEL_ID = "mdl_netcut";

const sleep = (ms: number) => new Promise((r) => setTimeout(r, Math.max(0, ms)));

async function waitFor<T>(
  what: string,
  fn: () => Promise<T | null | undefined | false> | T | null | undefined | false,
  timeoutMs: number,
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const v = await fn();
    if (v !== undefined && v !== null && v !== false) return v;
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await sleep(200);
  }
}

/** status.json as the agent wrote it (raw: fields newer than this test are kept, not stripped). */
interface RawStatus {
  pid: number;
  boot: string;
  updatedAt: string;
  running: boolean;
  connected: boolean;
  counters: Record<string, number>;
  outbox: { depth: number; dropped: number };
  /** Present once the agent persists its telemetry counters (see the report to the lead). */
  telemetry?: { samples?: number };
}

describe("the cuttable proxy", () => {
  it("resets live connections, holds new ones without a byte (a timeout, not a refusal), and restores", async () => {
    const nats = await startNatsServer();
    const proxy = await startCuttableProxy({ host: "127.0.0.1", port: nats.port });
    const url = `nats://${proxy.host}:${proxy.port}`;
    try {
      const nc = await connectNats({ servers: url, name: "proxy-test", reconnectForever: true });
      const seen: string[] = [];
      void (async () => {
        for await (const s of nc.status()) seen.push(s.type);
      })();
      await nc.flush();
      proxy.cut();
      await waitFor("the client to see the cut", () => seen.includes("disconnect"), 10_000);
      expect(proxy.stats.destroyedByCut).toBe(1);
      await expect(connectNats({ servers: url, name: "during-cut", timeoutMs: 1000 })).rejects.toThrow(
        /cannot connect to NATS .*timeout/i,
      );
      expect(proxy.stats.blackholed).toBeGreaterThanOrEqual(1);
      proxy.restore();
      await waitFor("the client to reconnect", () => seen.includes("reconnect"), 20_000);
      await nc.flush();
      await nc.close();
    } finally {
      await proxy.close();
      await nats.stop();
    }
  });
});

describe(`network cut of ${CUT_MS} ms while inferring, with a power loss midway`, () => {
  let nats: TestNatsServer;
  let tdb: TestDatabase;
  let nc: NatsConnection;
  let worker: RunningWorker;
  let proxy: CuttableProxy;
  let tmp: string;
  const agents: AgentProcess[] = [];
  const workerLog = quietLogger("worker");

  beforeAll(async () => {
    nats = await startNatsServer();
    tdb = await createTestDatabase(); // a fresh database, migrated
    nc = await connectNats({ servers: nats.url, name: "netcut-test" });
    await ensureControlPlane(nc);
    worker = await startWorker({ db: tdb.db, nc, log: workerLog, retryDelayMs: 500 });
    proxy = await startCuttableProxy({ host: "127.0.0.1", port: nats.port });
    tmp = await mkdtemp(join(tmpdir(), "ew-netcut-"));
  });

  afterAll(async () => {
    for (const a of agents) {
      if (!a.isRunning()) continue;
      a.kill("SIGKILL");
      await a.exited;
    }
    await proxy?.close();
    await worker?.stop();
    await nc?.close();
    await nats?.stop();
    await tdb?.drop();
    if (tmp) await rm(tmp, { recursive: true, force: true });
  });

  it(
    "every sample arrives in Postgres exactly once",
    async () => {
      // ------------------------------------------------------------ the device, its model and its assignment
      const { org } = await createOrgWithOwner(tdb.db, {
        name: "Netcut Org",
        email: `netcut-${Date.now()}@example.test`,
        passwordHash: null,
        userName: "Owner",
      });
      const device = await createDevice(tdb.db, {
        orgId: org.id,
        groupId: null,
        name: "netcut-device",
        platform: { os: "linux", arch: process.arch },
        meters: ["model"],
        agentVersion: null,
        enrollmentTokenId: null,
      });
      const bytes = new Uint8Array(await readFile(SAMPLE_MODEL));
      const stored = await putObjectBytes(
        await openModelStore(nc),
        objectNames.modelOriginal(org.id, MODEL_ID),
        bytes,
      );
      await (await new Kvm(nc).open(KV_BUCKETS.deploy)).put(
        kvKeys.deviceAssignment(org.id, device.id),
        assignmentBytes({
          deploymentId: "dep_netcut",
          orgId: org.id,
          deviceId: device.id,
          modelId: MODEL_ID,
          modelName: "nab-conv-autoencoder",
          ladder: [variantManifest("fp32", stored, AUTOENCODER_IO)],
          policy: { mode: "static", variant: "fp32" },
        }),
      );
      const stateDir = join(tmp, "state");
      const paths = statePaths(stateDir);
      await writeIdentity(
        stateDir,
        deviceIdentity({
          orgId: org.id,
          deviceId: device.id,
          name: device.name,
          natsUrl: `nats://${proxy.host}:${proxy.port}`,
        }),
      );

      // ------------------------------------------------------------ probes
      const startAgentProcess = () => {
        const a = spawnAgent({
          args: ["run", "--state-dir", stateDir, "--rate", String(RATE_HZ)],
          // A status.json every second (its counters are what the agent says it did) and a periodic sample
          // every 2 s, so the boot that starts offline has telemetry of its own even before it gets a model.
          env: { EDGEWATT_AGENT_HEARTBEAT_SECONDS: "1", EDGEWATT_AGENT_PERIODIC_SECONDS: "2" },
        });
        agents.push(a);
        return a;
      };
      const status = async (): Promise<RawStatus | null> => {
        try {
          return JSON.parse(await readFile(paths.status, "utf8")) as RawStatus;
        } catch {
          return null;
        }
      };
      /** The next status.json the agent writes after now. */
      const freshStatus = async (): Promise<RawStatus> => {
        const before = (await status())?.updatedAt;
        return waitFor(
          "a fresh status.json",
          async () => {
            const s = await status();
            return s && s.updatedAt !== before ? s : null;
          },
          15_000,
        );
      };
      type BootRows = {
        rows: number;
        distinct: number;
        minSeq: number;
        maxSeq: number;
        inferencesOk: number;
        failed: number;
      };
      const rowsByBoot = async (): Promise<Map<string, BootRows>> => {
        const result = await tdb.db.execute<{
          boot: string;
          rows: string;
          distinct_seq: string;
          min_seq: string;
          max_seq: string;
          inferences_ok: string;
          failed: string;
        }>(sql`
          select boot, count(*) as rows, count(distinct seq) as distinct_seq, min(seq) as min_seq,
                 max(seq) as max_seq,
                 count(*) filter (where kind = 'inference' and ok) as inferences_ok,
                 count(*) filter (where not ok) as failed
          from telemetry_samples where device_id = ${device.id} group by boot`);
        return new Map(
          result.rows.map((r) => [
            r.boot,
            {
              rows: Number(r.rows),
              distinct: Number(r.distinct_seq),
              minSeq: Number(r.min_seq),
              maxSeq: Number(r.max_seq),
              inferencesOk: Number(r.inferences_ok),
              failed: Number(r.failed),
            },
          ]),
        );
      };
      const totalRows = async () => [...(await rowsByBoot()).values()].reduce((n, b) => n + b.rows, 0);
      const pendingOnDisk = () => Outbox.countPending(paths.outbox);
      const workerCaughtUp = async () => {
        const info = await (await jetstreamManager(nc)).consumers.info(
          STREAMS.telemetry,
          CONSUMERS.telemetryIngest,
        );
        return info.num_pending === 0 && info.num_ack_pending === 0;
      };
      // The outbox depth, sampled all along.
      let maxDepth = 0;
      let maxDepthDuringCut = 0;
      let sampling = true;
      const sampler = (async () => {
        while (sampling) {
          const depth = await pendingOnDisk();
          maxDepth = Math.max(maxDepth, depth);
          if (proxy.isCut) maxDepthDuringCut = Math.max(maxDepthDuringCut, depth);
          await sleep(250);
        }
      })();

      try {
        // ---------------------------------------------------------- boot 1: online, inferring, rows in Postgres
        const agent1 = startAgentProcess();
        const boot1 = await waitFor(
          "boot 1 inferring with its telemetry in Postgres",
          async () => {
            const s = await status();
            if (!s?.running || (s.counters.inferences ?? 0) < 3 * RATE_HZ) return null;
            return ((await rowsByBoot()).get(s.boot)?.rows ?? 0) > RATE_HZ ? s.boot : null;
          },
          90_000,
        );

        // ---------------------------------------------------------- the cut
        const cutAt = Date.now();
        proxy.cut();
        await waitFor(
          "boot 1 to notice the cut",
          () => agent1.logs.some((l) => l.msg.startsWith("disconnected from NATS")),
          30_000,
        );
        // Whatever was in flight at the cut has landed by now; from here Postgres must not move until the restore.
        await sleep(Math.min(5000, CUT_MS / 4) - (Date.now() - cutAt));
        await waitFor("the worker to settle", workerCaughtUp, 30_000);
        const rowsEarlyInCut = await totalRows();

        // ---------------------------------------------------------- power loss midway through the cut
        await sleep(cutAt + CUT_MS / 2 - Date.now());
        // Every sample a status snapshot counts is recorded before it is written; two more outbox files after
        // the snapshot mean a flush started after it, so all of them are on disk when the power goes.
        const lastWords = await freshStatus();
        expect(lastWords.boot).toBe(boot1);
        const filesAtSnapshot = await pendingOnDisk();
        await waitFor(
          "two more batches on disk",
          async () => (await pendingOnDisk()) >= filesAtSnapshot + 2,
          15_000,
        );
        agent1.kill("SIGKILL");
        expect((await agent1.exited).signal).toBe("SIGKILL");
        const killedAt = Date.now();

        // What boot 1 left on disk: this is what must reach Postgres.
        const outbox = await Outbox.open(paths.outbox, { maxEntries: 1_000_000 });
        const onDisk1: number[] = [];
        for (const id of outbox.pendingIds()) {
          const entry = await outbox.read(id);
          if (!entry) continue;
          const batch = decode(ZTelemetryBatch, entry.payload);
          if (!batch.ok) throw batch.error;
          if (batch.value.boot === boot1) onDisk1.push(...batch.value.samples.map((s) => s.seq));
        }
        expect(outbox.stats.corrupt).toBe(0);
        onDisk1.sort((a, b) => a - b);
        expect(onDisk1.length).toBeGreaterThan(0);
        const firstOnDisk = onDisk1[0] ?? -1;
        const lastOnDisk = onDisk1[onDisk1.length - 1] ?? -1;
        // Contiguous: the outbox never has a hole in the middle.
        expect(onDisk1).toEqual(Array.from({ length: onDisk1.length }, (_, i) => firstOnDisk + i));

        // ---------------------------------------------------------- boot 2: starts offline, still cut
        const agent2 = startAgentProcess();
        const boot2 = await waitFor(
          "boot 2 running",
          async () => {
            const s = await status();
            return s?.running && s.boot !== boot1 && s.pid === agent2.pid ? s.boot : null;
          },
          60_000,
        );
        await sleep(cutAt + CUT_MS - Date.now());
        const beforeRestore = await status();
        // Boot 2 came up without a network and served its last assignment from the cache meanwhile.
        expect(beforeRestore?.counters.inferences ?? 0).toBeGreaterThan(0);
        const rowsLateInCut = await totalRows();
        const depthAtRestore = await pendingOnDisk();

        // ---------------------------------------------------------- restore, drain
        const restoredAt = Date.now();
        proxy.restore();
        await waitFor(
          "the outbox drained into Postgres",
          async () =>
            (await pendingOnDisk()) === 0 &&
            ((await rowsByBoot()).get(boot1)?.rows ?? 0) >= lastOnDisk + 1 &&
            (await workerCaughtUp()),
          180_000,
        );
        const drainMs = Date.now() - restoredAt;
        const inferencesAtDrain = (await status())?.counters.inferences ?? 0;
        await waitFor(
          "boot 2 inferring online",
          async () => ((await status())?.counters.inferences ?? 0) >= inferencesAtDrain + 2 * RATE_HZ,
          120_000,
        );

        // ---------------------------------------------------------- graceful stop of boot 2
        agent2.kill("SIGTERM");
        const exit2 = await agent2.exited;
        expect(exit2, agent2.stderr()).toEqual({ code: 0, signal: null });
        const final = await status();
        expect(final?.boot).toBe(boot2);
        expect(final?.running).toBe(false);
        expect(final?.outbox.depth).toBe(0);
        expect(await pendingOnDisk()).toBe(0);
        await waitFor("the worker to ingest the last batches", workerCaughtUp, 30_000);
        sampling = false;
        await sampler;

        // ---------------------------------------------------------- the cut was real
        expect(proxy.stats.destroyedByCut).toBeGreaterThanOrEqual(1);
        expect(proxy.stats.blackholed).toBeGreaterThanOrEqual(1);
        expect(maxDepthDuringCut).toBeGreaterThan(0);
        expect(rowsLateInCut).toBe(rowsEarlyInCut); // nothing leaked through the cut

        // ---------------------------------------------------------- Postgres: exactly once, per boot
        const byBoot = await rowsByBoot();
        expect([...byBoot.keys()].sort()).toEqual([boot1, boot2].sort());
        const b1 = byBoot.get(boot1);
        const b2 = byBoot.get(boot2);
        if (!b1 || !b2) throw new Error("a boot has no rows");
        for (const b of [b1, b2]) {
          expect(b.minSeq).toBe(0);
          expect(b.distinct).toBe(b.rows); // no duplicates
          expect(b.rows).toBe(b.maxSeq + 1); // no gaps
          expect(b.failed).toBe(0);
        }
        // Boot 1 (killed): everything on disk arrived, and nothing after it (the unflushed tail died with it);
        // everything its last status counted was on disk.
        expect(b1.maxSeq).toBe(lastOnDisk);
        expect(b1.inferencesOk).toBeGreaterThanOrEqual(lastWords.counters.inferences ?? Number.NaN);
        // Boot 2 (stopped gracefully): exactly what it says it produced.
        expect(b2.inferencesOk).toBe(final?.counters.inferences);
        expect(final?.counters.inferenceErrors).toBe(0);
        if (final?.telemetry?.samples !== undefined) expect(b2.rows).toBe(final.telemetry.samples);

        // On the wire: the stream holds each batch once (JetStream deduplicated the replays by Msg-Id).
        const msgIds = await streamMsgIds(nc, subjects.telemetryEnergy(org.id, device.id));
        expect(new Set(msgIds).size).toBe(msgIds.length);
        expect(worker.stats.telemetry.rejected).toBe(0);

        const figures = {
          cutMs: CUT_MS,
          rateHz: RATE_HZ,
          boot1: {
            samplesInPostgres: b1.rows,
            inferences: b1.inferencesOk,
            inferencesAtLastStatus: lastWords.counters.inferences,
            onDiskAtKill: onDisk1.length,
            firstSeqOnDisk: firstOnDisk,
            killedAfterMs: killedAt - cutAt,
          },
          boot2: {
            samplesInPostgres: b2.rows,
            inferences: b2.inferencesOk,
            inferencesDuringCut: beforeRestore?.counters.inferences ?? 0,
            reportedInferences: final?.counters.inferences,
          },
          maxOutboxDepth: maxDepth,
          maxOutboxDepthDuringCut: maxDepthDuringCut,
          outboxDepthAtRestore: depthAtRestore,
          drainMsAfterRestore: drainMs,
          proxy: proxy.stats,
          stream: { batches: msgIds.length },
          worker: worker.stats.telemetry,
        };
        console.log(`network-cut figures ${JSON.stringify(figures, null, 2)}`);
      } finally {
        sampling = false;
        await sampler;
      }
    },
    CUT_MS + 6 * 60_000,
  );
});

/** Msg-Ids of every message on `subject` in TELEMETRY, read with an ephemeral consumer. */
async function streamMsgIds(nc: NatsConnection, subject: string): Promise<string[]> {
  const js = jetstream(nc);
  const consumer = await js.consumers.get(STREAMS.telemetry, {
    filter_subjects: subject,
    deliver_policy: DeliverPolicy.All,
  });
  const total = (await consumer.info(true)).num_pending;
  const ids: string[] = [];
  while (ids.length < total) {
    const msgs = await consumer.fetch({ max_messages: Math.min(500, total - ids.length), expires: 2000 });
    let got = 0;
    for await (const m of msgs) {
      got++;
      ids.push(m.headers?.get("Nats-Msg-Id") ?? `(none: stream seq ${m.seq})`);
    }
    if (got === 0) break;
  }
  await consumer.delete().catch(() => undefined);
  return ids;
}
