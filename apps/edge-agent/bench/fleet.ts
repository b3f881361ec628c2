/**
 * The fleet half of `pnpm bench:agent`: a fresh nats-server, a fresh migrated Postgres database and the real worker
 * ingesting TELEMETRY; an org and N devices created in the database with their identity files written; then
 * `simulate` as a child process (its memory is its own) for a fixed time, stopped with SIGTERM (graceful: every
 * outbox is flushed), and Postgres polled until it holds every sample the simulator says it sent.
 */
import { type ChildProcess, spawn } from "node:child_process";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { countSamples, createDevice, createOrgWithOwner } from "@edgewatt/db";
import { createTestDatabase } from "@edgewatt/db/testing";
import { connectNats, type Logger } from "@edgewatt/nats";
import { startNatsServer } from "@edgewatt/nats/testing";
import { KV_BUCKETS, kvKeys, OBJECT_BUCKETS, subjects } from "@edgewatt/protocol";
import { startWorker } from "@edgewatt/worker";
import type { SimSummary } from "../src/simulate/fleet";
import { peakRssBytes } from "../src/simulate/fleet";
import { simDeviceDir } from "../src/simulate/sim-identities";
import { writeIdentity } from "../src/state/identity";
import { AGENT_VERSION } from "../src/version";

export interface FleetBenchOptions {
  devices: number;
  seconds: number;
  rateHz: number;
  profiles: string;
  traces: string;
  timeScale: number;
  modelPath: string;
  log: (line: string) => void;
  /** Worker logs (warnings and errors). */
  workerLog: Logger;
}

export interface FleetBenchResult {
  simDevices: number;
  simSeconds: number;
  simRssBytes: number;
  samplesSent: number;
  samplesStored: number;
  /** Seconds from the simulator's exit until Postgres held every sample (or gave up). */
  ingestCatchUpS: number;
  setupS: number;
  worker: { batches: number; samplesInserted: number; duplicates: number; rejected: number; failed: number };
  simulator: SimSummary;
}

const CHILD = resolve(import.meta.dirname, "simulate-child.ts");
const AGENT_DIR = resolve(import.meta.dirname, "..");

export async function runFleetBench(opts: FleetBenchOptions): Promise<FleetBenchResult> {
  const t0 = performance.now();
  const nats = await startNatsServer();
  const tdb = await createTestDatabase();
  const nc = await connectNats({ servers: nats.url, name: "bench-fleet-worker" });
  const worker = await startWorker({ db: tdb.db, nc, log: opts.workerLog });
  const dir = await mkdtemp(join(tmpdir(), "ew-bench-fleet-"));
  let child: ChildProcess | null = null;
  try {
    const { org } = await createOrgWithOwner(tdb.db, {
      name: "Bench Fleet",
      email: `bench-${Date.now()}@example.test`,
      passwordHash: null,
      userName: "Bench",
    });
    const stateDir = join(dir, "state");
    for (let i = 0; i < opts.devices; i++) {
      const device = await createDevice(tdb.db, {
        orgId: org.id,
        groupId: null,
        name: `sim-${String(i).padStart(4, "0")}`,
        platform: { os: "linux", arch: "arm64", hostname: `sim-${i}` },
        meters: ["simulated"],
        agentVersion: null,
        enrollmentTokenId: null,
      });
      await writeIdentity(simDeviceDir(stateDir, i), {
        deviceId: device.id,
        orgId: org.id,
        deviceName: device.name,
        groupId: null,
        nats: { servers: [nats.url] },
        buckets: { deploy: KV_BUCKETS.deploy, policy: KV_BUCKETS.policy, models: OBJECT_BUCKETS.models },
        assignmentKey: kvKeys.deviceAssignment(org.id, device.id),
        subjects: {
          telemetry: subjects.telemetryEnergy(org.id, device.id),
          heartbeat: subjects.heartbeat(org.id, device.id),
          prefix: subjects.devicePrefix(org.id, device.id),
        },
        server: "http://127.0.0.1:3000",
        enrolledAt: new Date().toISOString(),
        agentVersion: AGENT_VERSION,
      });
    }
    const setupS = (performance.now() - t0) / 1000;
    opts.log(
      `fleet: ${opts.devices} devices in the database and on disk (${setupS.toFixed(1)} s); starting simulate`,
    );

    const args = [
      `--devices=${opts.devices}`,
      `--profile=${opts.profiles}`,
      `--trace=${opts.traces}`,
      `--rate=${opts.rateHz}`,
      `--time-scale=${opts.timeScale}`,
      `--model=${opts.modelPath}`,
      `--state-dir=${stateDir}`,
      "--drain=120",
    ];
    const proc = spawn(process.execPath, ["--import", "tsx", CHILD, ...args], {
      cwd: AGENT_DIR,
      stdio: ["ignore", "pipe", "pipe"],
    });
    child = proc;
    let stdout = "";
    let peak = 0;
    proc.stdout?.on("data", (d: Buffer) => {
      stdout += d.toString();
    });
    const started = new Promise<void>((resolveStarted, reject) => {
      let buffered = "";
      proc.stderr?.on("data", (d: Buffer) => {
        buffered += d.toString();
        let nl = buffered.indexOf("\n");
        while (nl >= 0) {
          const line = buffered.slice(0, nl);
          buffered = buffered.slice(nl + 1);
          if (line.includes("simulating")) resolveStarted();
          opts.log(`  [simulate] ${line}`);
          nl = buffered.indexOf("\n");
        }
      });
      proc.once("exit", (code) => reject(new Error(`simulate exited early with code ${code}`)));
    });
    const exited = new Promise<number | null>((res) => proc.once("exit", (code) => res(code)));
    const poll = setInterval(() => {
      if (proc.pid) peak = Math.max(peak, peakRssBytes(proc.pid) ?? 0);
    }, 1000);
    await started;
    await new Promise((r) => setTimeout(r, opts.seconds * 1000));
    if (proc.pid) peak = Math.max(peak, peakRssBytes(proc.pid) ?? 0);
    opts.log(`fleet: ${opts.seconds} s up; SIGTERM (graceful stop, every outbox flushed)`);
    proc.kill("SIGTERM");
    const code = await exited;
    clearInterval(poll);
    child = null;
    const lastLine = stdout.trim().split("\n").pop() ?? "";
    if (code !== 0 || !lastLine.startsWith("{"))
      throw new Error(`simulate exited with code ${code}, no summary`);
    const simulator = JSON.parse(lastLine) as SimSummary;
    const samplesSent = simulator.samplesSent;

    const exitAt = performance.now();
    let stored = 0;
    let lastChange = exitAt;
    for (;;) {
      const n = await countSamples(tdb.db, { orgId: org.id });
      if (n !== stored) lastChange = performance.now();
      stored = n;
      if (stored >= samplesSent) break;
      if (performance.now() - lastChange > 60_000) {
        opts.log(`fleet: Postgres stuck at ${stored} of ${samplesSent} samples for 60 s; giving up`);
        break;
      }
      await new Promise((r) => setTimeout(r, 500));
    }
    const ingestCatchUpS = (performance.now() - exitAt) / 1000;
    const w = worker.stats.telemetry;
    return {
      simDevices: opts.devices,
      simSeconds: opts.seconds,
      simRssBytes: Math.max(peak, simulator.peakRssBytes ?? 0),
      samplesSent,
      samplesStored: stored,
      ingestCatchUpS,
      setupS,
      worker: {
        batches: w.batches,
        samplesInserted: w.samplesInserted,
        duplicates: w.duplicates,
        rejected: w.rejected,
        failed: w.failed,
      },
      simulator,
    };
  } finally {
    if (child && child.exitCode === null) child.kill("SIGKILL");
    await worker.stop();
    await nc.close();
    await nats.stop();
    await tdb.drop();
    await rm(dir, { recursive: true, force: true });
  }
}
