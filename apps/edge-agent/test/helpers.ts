/** Shared set-up for the agent's integration suites: identities, manifests, assignments, stream readers. */
import { type ChildProcess, spawn } from "node:child_process";
import { createHash } from "node:crypto";
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import type { NatsConnection } from "@edgewatt/nats";
import { freePort, natsServerBinary, stopProcess } from "@edgewatt/nats/testing";
import {
  type DeploymentAssignment,
  decode,
  encode,
  KV_BUCKETS,
  kvKeys,
  OBJECT_BUCKETS,
  STREAMS,
  subjects,
  type TelemetryBatch,
  type TensorSpec,
  type VariantManifest,
  ZDeploymentAssignment,
  ZTelemetryBatch,
} from "@edgewatt/protocol";
import { DeliverPolicy, jetstream } from "@nats-io/jetstream";
import { type Identity, writeIdentity } from "../src/state/identity";

/** ../shared beside the repository (reference models and datasets); EDGEWATT_SHARED_DIR overrides. */
const SHARED_DIR = process.env.EDGEWATT_SHARED_DIR ?? resolve(import.meta.dirname, "../../../../shared");

export const MODELS_DIR = `${SHARED_DIR}/models`;

export function sha256(bytes: Uint8Array): string {
  return createHash("sha256").update(bytes).digest("hex");
}

const tempDirs: string[] = [];

/** A state directory path (not yet created) inside a fresh temp dir; `removeTempDirs` cleans them all up. */
export async function tempStateDir(): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), "ew-agent-"));
  tempDirs.push(dir);
  return join(dir, "state");
}

export async function removeTempDirs(): Promise<void> {
  await Promise.all(tempDirs.splice(0).map((d) => rm(d, { recursive: true, force: true })));
}

export function identityFor(org: string, device: string, natsUrl: string): Identity {
  return {
    deviceId: device,
    orgId: org,
    deviceName: `test ${device}`,
    groupId: null,
    nats: { servers: [natsUrl] },
    buckets: { deploy: KV_BUCKETS.deploy, policy: KV_BUCKETS.policy, models: OBJECT_BUCKETS.models },
    assignmentKey: kvKeys.deviceAssignment(org, device),
    subjects: {
      telemetry: subjects.telemetryEnergy(org, device),
      heartbeat: subjects.heartbeat(org, device),
      prefix: subjects.devicePrefix(org, device),
    },
    server: "http://127.0.0.1:3000",
    enrolledAt: new Date().toISOString(),
    agentVersion: "0.0.0",
  };
}

export async function writeTestIdentity(stateDir: string, identity: Identity): Promise<void> {
  await writeIdentity(stateDir, identity);
}

export const AUTOENCODER_IO: { inputs: TensorSpec[]; outputs: TensorSpec[] } = {
  inputs: [{ name: "window", elemType: "float32", shape: ["batch", 1, 64] }],
  outputs: [{ name: "reconstruction", elemType: "float32", shape: ["batch", 1, 64] }],
};

export const SENSOR_GPT_IO: { inputs: TensorSpec[]; outputs: TensorSpec[] } = {
  inputs: [{ name: "tokens", elemType: "int64", shape: ["batch", 64] }],
  outputs: [{ name: "logits", elemType: "float32", shape: ["batch", 64, 64] }],
};

export function manifest(
  name: string,
  objectName: string,
  bytes: { sha256: string; sizeBytes: number },
  io: { inputs: TensorSpec[]; outputs: TensorSpec[] },
): VariantManifest {
  return {
    variantId: `var_${name.replace(/[^A-Za-z0-9]/g, "")}`,
    name,
    bucket: OBJECT_BUCKETS.models,
    objectName,
    sha256: bytes.sha256,
    sizeBytes: bytes.sizeBytes,
    passes: [],
    ...io,
    fidelity: null,
    energyJ: null,
    latencyMs: null,
  };
}

export function assignmentBytes(a: Omit<DeploymentAssignment, "updatedAt">): Uint8Array {
  return encode(ZDeploymentAssignment, { ...a, updatedAt: Date.now() });
}

export interface StoredBatch {
  batch: TelemetryBatch;
  msgId: string | undefined;
  subject: string;
}

/** Every telemetry batch stored in TELEMETRY for `subject`, decoded (throws on an undecodable one). */
export async function readTelemetry(nc: NatsConnection, subject: string): Promise<StoredBatch[]> {
  const js = jetstream(nc);
  const consumer = await js.consumers.get(STREAMS.telemetry, {
    filter_subjects: subject,
    deliver_policy: DeliverPolicy.All,
  });
  const info = await consumer.info(true);
  const total = info.num_pending;
  const out: StoredBatch[] = [];
  while (out.length < total) {
    const msgs = await consumer.fetch({ max_messages: total - out.length, expires: 2000 });
    let got = 0;
    for await (const m of msgs) {
      got++;
      const decoded = decode(ZTelemetryBatch, m.data);
      if (!decoded.ok) throw decoded.error;
      out.push({ batch: decoded.value, msgId: m.headers?.get("Nats-Msg-Id"), subject: m.subject });
    }
    if (got === 0) break;
  }
  await consumer.delete().catch(() => undefined);
  return out;
}

export async function waitFor(
  what: string,
  cond: () => boolean | Promise<boolean>,
  timeoutMs = 20_000,
): Promise<void> {
  const until = Date.now() + timeoutMs;
  while (!(await cond())) {
    if (Date.now() > until) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

/** A nats-server that can be stopped and started again on the same port with the same JetStream store. */
export async function restartableNats() {
  const dir = await mkdtemp(join(tmpdir(), "ew-nats-restart-"));
  const port = await freePort();
  const conf = join(dir, "nats.conf");
  await writeFile(conf, `listen: 127.0.0.1:${port}\njetstream { store_dir: "${join(dir, "js")}" }\n`);
  let proc: ChildProcess | null = null;
  const start = async () => {
    const p = spawn(natsServerBinary(), ["-c", conf], { stdio: ["ignore", "pipe", "pipe"] });
    proc = p;
    await new Promise<void>((resolve, reject) => {
      let out = "";
      const timer = setTimeout(() => reject(new Error(`nats-server did not start: ${out}`)), 15_000);
      const onData = (d: Buffer) => {
        out += d.toString();
        if (out.includes("Server is ready")) {
          clearTimeout(timer);
          resolve();
        }
      };
      p.stdout?.on("data", onData);
      p.stderr?.on("data", onData);
      p.once("exit", (code) => reject(new Error(`nats-server exited with ${code}: ${out}`)));
    });
  };
  const stop = async () => {
    if (proc) await stopProcess(proc);
    proc = null;
  };
  await start();
  return {
    url: `nats://127.0.0.1:${port}`,
    start,
    stop,
    async destroy() {
      await stop();
      await rm(dir, { recursive: true, force: true });
    },
  };
}
