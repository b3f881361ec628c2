/**
 * `edgewatt-agent simulate` against a fresh nats-server: 20 virtual devices in one process with real onnxruntime,
 * each its own identity, NATS connection, battery and outbox. Reads TELEMETRY back and checks every device's
 * samples are contiguous per boot and labelled simulated, and that batteries fall on `battery-drain`. Then devices
 * following their own DEPLOY assignments, and enrollment through the portal's enrollment contract.
 */
import { readFile, stat } from "node:fs/promises";
import { createServer, type Server } from "node:http";
import { join } from "node:path";
import {
  connectNats,
  ensureControlPlane,
  type NatsConnection,
  openModelStore,
  putObjectBytes,
} from "@edgewatt/nats";
import { freePort, startNatsServer, type TestNatsServer } from "@edgewatt/nats/testing";
import {
  decode,
  type EnrollmentResponse,
  KV_BUCKETS,
  kvKeys,
  OBJECT_BUCKETS,
  objectNames,
  subjects,
  type TelemetrySample,
  ZEnrollmentRequest,
  ZHeartbeat,
} from "@edgewatt/protocol";
import { Kvm } from "@nats-io/kv";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { simulateCommand } from "../src/cli/commands/simulate";
import type { CliIo } from "../src/cli/io";
import type { SimSummary } from "../src/simulate/fleet";
import { simDeviceDir } from "../src/simulate/sim-identities";
import { findIdentity } from "../src/state/identity";
import {
  assignmentBytes,
  identityFor,
  MODELS_DIR,
  manifest,
  readTelemetry,
  removeTempDirs,
  type StoredBatch,
  sha256,
  tempStateDir,
  writeTestIdentity,
} from "./helpers";

const ORG = "org_sim1";
const RESNET = `${MODELS_DIR}/cifar10-resnet14.onnx`;
const CIFAR_IO = {
  inputs: [{ name: "input", elemType: "float32", shape: ["batch", 3, 32, 32] }],
  outputs: [{ name: "logits", elemType: "float32", shape: ["batch", 10] }],
};

function captureIo(): CliIo & { outLines: string[]; errLines: string[] } {
  const outLines: string[] = [];
  const errLines: string[] = [];
  return { outLines, errLines, out: (l) => outLines.push(l), err: (l) => errLines.push(l) };
}

async function simulate(
  args: string[],
): Promise<{ code: number; summary: SimSummary; io: ReturnType<typeof captureIo> }> {
  const io = captureIo();
  const code = await simulateCommand(args, io);
  const last = io.outLines[io.outLines.length - 1];
  if (code !== 0 || !last) throw new Error(`simulate exited ${code}: ${io.errLines.slice(-5).join("\n")}`);
  return { code, summary: JSON.parse(last) as SimSummary, io };
}

/** Samples of each boot, in seq order, from stored batches. */
function byBoot(batches: StoredBatch[]): Map<string, TelemetrySample[]> {
  const boots = new Map<string, TelemetrySample[]>();
  for (const { batch } of batches) {
    const list = boots.get(batch.boot) ?? [];
    list.push(...batch.samples);
    boots.set(batch.boot, list);
  }
  for (const list of boots.values()) list.sort((a, b) => a.seq - b.seq);
  return boots;
}

describe("edgewatt-agent simulate", () => {
  let server: TestNatsServer;
  let nc: NatsConnection;

  beforeAll(async () => {
    server = await startNatsServer();
    nc = await connectNats({ servers: server.url, name: "simulate-test" });
    await ensureControlPlane(nc);
  });

  afterAll(async () => {
    await nc?.close();
    await server?.stop();
    await removeTempDirs();
  });

  it("runs 20 virtual devices on shared sessions: contiguous, simulated telemetry; batteries drain", async () => {
    const stateDir = await tempStateDir();
    const devices = Array.from({ length: 20 }, (_, i) => `dev_sim${i}`);
    for (const [i, id] of devices.entries()) {
      await writeTestIdentity(simDeviceDir(stateDir, i), identityFor(ORG, id, server.url));
    }
    const heartbeats = new Map<string, unknown[]>();
    const sub = nc.subscribe(subjects.allHeartbeats());
    void (async () => {
      for await (const m of sub) {
        const hb = decode(ZHeartbeat, m.data);
        if (hb.ok)
          heartbeats.set(hb.value.deviceId, [...(heartbeats.get(hb.value.deviceId) ?? []), hb.value]);
      }
    })();

    // Even devices drain a battery, odd ones are on mains; a minute of battery life per wall second.
    const { summary } = await simulate([
      "--devices=20",
      "--profile=raspberry-pi-4,jetson-nano",
      "--trace=battery-drain,battery-drain,steady,steady",
      "--duration=4",
      "--rate=5",
      "--time-scale=60",
      `--model=${RESNET}`,
      "--periodic=1",
      "--heartbeat=1",
      "--flush-ms=250",
      `--state-dir=${stateDir}`,
    ]);
    sub.unsubscribe();

    expect(summary.simulated).toBe(true);
    expect(summary.devices).toBe(20);
    expect(summary.compute).toBe("onnx");
    expect(summary.counters.inferences).toBeGreaterThan(100);
    expect(summary.sessions?.sessionsLoaded).toBe(1);
    expect(summary.samplesUnsent).toBe(0);
    expect(summary.outboxDepth).toBe(0);
    expect(summary.profiles).toEqual({ "raspberry-pi-4": 10, "jetson-nano": 10 });

    let stored = 0;
    for (const [i, device] of devices.entries()) {
      const batches = await readTelemetry(nc, subjects.telemetryEnergy(ORG, device));
      expect(batches.length, device).toBeGreaterThan(0);
      for (const b of batches) {
        expect(b.batch.simulated).toBe(true);
        expect(b.batch.deviceId).toBe(device);
        expect(b.msgId).toBe(`${device}:${b.batch.boot}:${b.batch.samples[0]?.seq}`);
      }
      const boots = byBoot(batches);
      expect(boots.size).toBe(1);
      for (const samples of boots.values()) {
        stored += samples.length;
        // Contiguous from 0, no gaps, no duplicates.
        expect(samples.map((s) => s.seq)).toEqual(samples.map((_, k) => k));
        expect(samples.every((s) => s.energySource === "simulated")).toBe(true);
        expect(samples.every((s) => s.energyJ > 0)).toBe(true);
        const inference = samples.filter((s) => s.kind === "inference");
        const periodic = samples.filter((s) => s.kind === "periodic");
        expect(inference.length, device).toBeGreaterThan(3);
        expect(periodic.length, device).toBeGreaterThanOrEqual(3);
        for (const s of inference) {
          expect(s.variant).toBe("cifar10-resnet14");
          expect(s.threads).toBe(1);
          expect(s.decision?.policy).toBe("static");
          expect(s.decision?.reason).toBeTruthy();
          expect(["critical", "normal", "background"]).toContain(s.priority);
        }
        const levels = samples.map((s) => s.state.batteryPct);
        if (i % 4 < 2) {
          // battery-drain: on battery, strictly lower at the end than at the start.
          expect(samples.every((s) => s.state.powerState === "battery")).toBe(true);
          const first = levels[0] as number;
          const last = levels[levels.length - 1] as number;
          expect(last, device).toBeLessThan(first);
          for (let k = 1; k < levels.length; k++)
            expect(levels[k] as number).toBeLessThanOrEqual(levels[k - 1] as number);
        } else {
          expect(samples.every((s) => s.state.powerState === "mains" && s.state.batteryPct === null)).toBe(
            true,
          );
        }
      }
      const hb = (heartbeats.get(device) ?? []) as Array<{ meter: string; agentVersion: string }>;
      expect(hb.length, device).toBeGreaterThan(0);
      expect(hb.every((h) => h.meter === "simulated" && h.agentVersion.endsWith("+sim"))).toBe(true);
    }
    expect(stored).toBe(summary.samplesSent);
    expect(stored).toBe(summary.samplesRecorded);
  });

  it("serves each device its own DEPLOY assignment from shared files and sessions, and labels --compute none", async () => {
    const stateDir = await tempStateDir();
    const bytes = new Uint8Array(await readFile(RESNET));
    const sha = sha256(bytes);
    const store = await openModelStore(nc);
    const objectName = objectNames.modelVariant(ORG, "mdl_cifar", "fp32");
    await putObjectBytes(store, objectName, bytes);
    const fp32 = manifest("fp32", objectName, { sha256: sha, sizeBytes: bytes.length }, CIFAR_IO);
    const kv = await new Kvm(nc).open(KV_BUCKETS.deploy);
    const devices = ["dev_dep0", "dev_dep1", "dev_dep2"];
    for (const [i, id] of devices.entries()) {
      await writeTestIdentity(simDeviceDir(stateDir, i), identityFor(ORG, id, server.url));
      // The last device has no assignment: it serves nothing.
      if (i < 2) {
        await kv.put(
          kvKeys.deviceAssignment(ORG, id),
          assignmentBytes({
            deploymentId: `dep_sim${i}`,
            orgId: ORG,
            deviceId: id,
            modelId: "mdl_cifar",
            modelName: "cifar10-resnet14",
            ladder: [fp32],
            policy: { mode: "static", variant: "fp32" },
          }),
        );
      }
    }
    const run = await simulate([
      "--devices=3",
      "--trace=steady",
      "--duration=3",
      "--rate=5",
      "--periodic=1",
      "--flush-ms=250",
      `--state-dir=${stateDir}`,
    ]);
    expect(run.summary.sessions?.downloads).toBe(1);
    expect(run.summary.sessions?.sessionsLoaded).toBe(1);
    expect(run.summary.counters.notServed).toBeGreaterThan(0);
    // One verified file for the fleet, in the shared cache.
    expect((await stat(join(stateDir, "sim", "cache", `${sha}.onnx`))).size).toBe(bytes.length);
    for (const [i, id] of devices.entries()) {
      const samples = [...byBoot(await readTelemetry(nc, subjects.telemetryEnergy(ORG, id))).values()].flat();
      const inference = samples.filter((s) => s.kind === "inference");
      if (i < 2) {
        expect(inference.length).toBeGreaterThan(3);
        expect(inference.every((s) => s.modelId === "mdl_cifar" && s.variant === "fp32")).toBe(true);
      } else {
        expect(inference).toEqual([]);
        expect(samples.filter((s) => s.kind === "periodic").length).toBeGreaterThan(0);
      }
    }

    // No computation: same devices, new boots, every inference sample says so.
    const none = await simulate([
      "--devices=2",
      "--trace=steady",
      "--duration=2",
      "--rate=10",
      "--compute=none",
      "--flush-ms=250",
      `--state-dir=${stateDir}`,
    ]);
    expect(none.summary.compute).toBe("none");
    expect(none.summary.sessions).toBeNull();
    const boots = byBoot(await readTelemetry(nc, subjects.telemetryEnergy(ORG, "dev_dep0")));
    expect(boots.size).toBe(2);
    const latest = [...boots.values()].find((s) =>
      s.some((x) => x.decision?.reason.includes("compute none")),
    );
    expect(latest).toBeDefined();
    expect(
      latest?.filter((s) => s.kind === "inference").every((s) => s.decision?.reason.includes("compute none")),
    ).toBe(true);
  });

  it("enrolls missing devices through the enrollment endpoint, keeps them, and says when the token runs out", async () => {
    const stateDir = await tempStateDir();
    const uses = new Map<string, { left: number }>([
      ["ewt_three_uses", { left: 3 }],
      ["ewt_two_uses", { left: 2 }],
    ]);
    let enrolled = 0;
    const portal: Server = createServer((req, res) => {
      let body = "";
      req.on("data", (c) => {
        body += c;
      });
      req.on("end", () => {
        const json = (status: number, value: unknown) => {
          res.writeHead(status, { "content-type": "application/json" });
          res.end(JSON.stringify(value));
        };
        const parsed = ZEnrollmentRequest.safeParse(JSON.parse(body));
        // A simulated device says so at enrollment: its only meter is "simulated".
        if (req.url !== "/api/agent/enroll" || !parsed.success || parsed.data.meters.join() !== "simulated") {
          return json(400, {
            error: { code: "BAD_REQUEST", message: "not an enrollment request of a simulated device" },
          });
        }
        const token = uses.get(parsed.data.token);
        if (!token) return json(401, { error: { code: "TOKEN_UNKNOWN", message: "unknown token" } });
        if (token.left <= 0) {
          return json(401, {
            error: { code: "TOKEN_EXHAUSTED", message: "This enrollment token has already been used up" },
          });
        }
        token.left--;
        const deviceId = `dev_enr${enrolled++}`;
        const response: EnrollmentResponse = {
          deviceId,
          orgId: ORG,
          deviceName: parsed.data.name ?? deviceId,
          groupId: null,
          nats: { servers: [server.url] },
          buckets: { deploy: KV_BUCKETS.deploy, policy: KV_BUCKETS.policy, models: OBJECT_BUCKETS.models },
          assignmentKey: kvKeys.deviceAssignment(ORG, deviceId),
          subjects: {
            telemetry: subjects.telemetryEnergy(ORG, deviceId),
            heartbeat: subjects.heartbeat(ORG, deviceId),
            prefix: subjects.devicePrefix(ORG, deviceId),
          },
        };
        json(201, response);
      });
    });
    const port = await freePort();
    await new Promise<void>((resolve) => portal.listen(port, "127.0.0.1", resolve));
    try {
      const url = `http://127.0.0.1:${port}`;
      const io = captureIo();
      await expect(
        simulateCommand(
          [
            "--devices=5",
            "--identities-only",
            `--server=${url}`,
            "--token=ewt_three_uses",
            `--state-dir=${stateDir}`,
          ],
          io,
        ),
      ).rejects.toThrowError(/ran out after enrolling 3 of the 5 .*2 still need one.*at least 2 uses/);
      const kept = await Promise.all([0, 1, 2, 3, 4].map((i) => findIdentity(simDeviceDir(stateDir, i))));
      expect(kept.filter(Boolean).length).toBe(3);

      // Without a token the missing ones are named; with one, only they are enrolled and the rest reused.
      await expect(
        simulateCommand(["--devices=5", "--identities-only", `--state-dir=${stateDir}`], captureIo()),
      ).rejects.toThrowError(/2 of 5 virtual devices have no identity.*--token <token with ≥ 2 uses>/);
      const second = captureIo();
      await simulateCommand(
        [
          "--devices=5",
          "--identities-only",
          `--server=${url}`,
          "--token=ewt_two_uses",
          `--state-dir=${stateDir}`,
        ],
        second,
      );
      expect(second.outLines.join("\n")).toMatch(/2 enrolled now, 3 reused/);
      const all = await Promise.all([0, 1, 2, 3, 4].map((i) => findIdentity(simDeviceDir(stateDir, i))));
      expect(new Set(all.map((id) => id?.deviceId)).size).toBe(5);
      expect(all[0]?.deviceName).toMatch(/^sim-000\d$/);
      // A re-run reuses all five without the portal.
      const third = captureIo();
      await simulateCommand(["--devices=5", "--identities-only", `--state-dir=${stateDir}`], third);
      expect(third.outLines.join("\n")).toMatch(/0 enrolled now, 5 reused/);
      expect(enrolled).toBe(5);
    } finally {
      await new Promise<void>((resolve) => portal.close(() => resolve()));
    }
  });
});
