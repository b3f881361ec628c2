/**
 * The local API against a running agent (real nats-server, real onnxruntime): HTTP on 127.0.0.1 and the Unix
 * socket, results equal to a direct onnxruntime run of the same model, priorities through the one queue, every
 * request metered and reported, and clear errors for what a caller gets wrong.
 */

import { readFile, stat } from "node:fs/promises";
import { request } from "node:http";
import { join } from "node:path";
import {
  connectNats,
  ensureControlPlane,
  type NatsConnection,
  openModelStore,
  putObjectBytes,
} from "@edgewatt/nats";
import { startNatsServer, type TestNatsServer } from "@edgewatt/nats/testing";
import { KV_BUCKETS, kvKeys, objectNames, subjects } from "@edgewatt/protocol";
import { Kvm } from "@nats-io/kv";
import { InferenceSession, Tensor } from "onnxruntime-node";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type RunningAgent, startAgent } from "../src/agent/start-agent";
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
  tempStateDir,
  waitFor,
  writeTestIdentity,
} from "./helpers";

const ORG = "org_api";
const DEVICE = "dev_api";
const MODEL = "mdl_api";

interface Reply {
  status: number;
  body: Record<string, unknown>;
}

type Target = { host: string; port: number } | { socketPath: string };

function call(target: Target, method: string, path: string, body?: unknown, raw?: string): Promise<Reply> {
  return new Promise((resolve, reject) => {
    const payload = raw ?? (body === undefined ? undefined : JSON.stringify(body));
    const req = request(
      { ...target, method, path, headers: payload ? { "content-type": "application/json" } : {} },
      (res) => {
        const chunks: Buffer[] = [];
        res.on("data", (c: Buffer) => chunks.push(c));
        res.on("end", () => {
          const text = Buffer.concat(chunks).toString("utf8");
          resolve({ status: res.statusCode ?? 0, body: JSON.parse(text) as Record<string, unknown> });
        });
      },
    );
    req.on("error", reject);
    req.end(payload);
  });
}

const windowOf = (seed: number) => Array.from({ length: 64 }, (_, i) => Math.sin((i + seed) / 5));

describe("the agent's local API", () => {
  let server: TestNatsServer;
  let nc: NatsConnection;
  let stateDir: string;
  let agent: RunningAgent;
  let http: Target;
  let socket: Target;
  const log = createRecordingLogger();
  let modelBytes: Uint8Array;

  beforeAll(async () => {
    server = await startNatsServer();
    nc = await connectNats({ servers: server.url, name: "api-test" });
    await ensureControlPlane(nc);
    stateDir = await tempStateDir();
    await writeTestIdentity(stateDir, identityFor(ORG, DEVICE, server.url));
    agent = await startAgent({
      stateDir,
      config: { input: "none", meter: "model", api: { http: "127.0.0.1:0", socket: "api.sock" } },
      flushMs: 200,
      progress: false,
      log,
    });
    const [host, port] = (agent.api.http ?? "").split(":");
    http = { host: host as string, port: Number(port) };
    socket = { socketPath: agent.api.socket as string };
    modelBytes = new Uint8Array(await readFile(join(MODELS_DIR, "nab-conv-autoencoder.onnx")));
  });

  afterAll(async () => {
    await agent?.stop();
    await nc?.close();
    await server?.stop();
    await removeTempDirs();
  });

  it("listens on loopback and on a private socket in the state directory; no model yet is a 503", async () => {
    expect(agent.api.http).toMatch(/^127\.0\.0\.1:\d+$/);
    expect(agent.api.socket).toBe(join(stateDir, "api.sock"));
    expect((await stat(join(stateDir, "api.sock"))).mode & 0o777).toBe(0o660);
    expect(await call(http, "GET", "/v1/health")).toEqual({
      status: 200,
      body: { ok: true, serving: false },
    });
    const none = await call(socket, "POST", "/v1/infer", {
      inputs: { window: { dims: [1, 1, 64], data: windowOf(0) } },
    });
    expect(none.status).toBe(503);
    expect(none.body.error).toMatchObject({ code: "NO_MODEL" });
    expect((await call(http, "GET", "/v1/model")).status).toBe(503);
  });

  it("serves inference over HTTP and the socket with the same results as onnxruntime itself", async () => {
    const stored = await putObjectBytes(
      await openModelStore(nc),
      objectNames.modelOriginal(ORG, MODEL),
      modelBytes,
    );
    await (await new Kvm(nc).open(KV_BUCKETS.deploy)).put(
      kvKeys.deviceAssignment(ORG, DEVICE),
      assignmentBytes({
        deploymentId: "dep_api",
        orgId: ORG,
        deviceId: DEVICE,
        modelId: MODEL,
        modelName: "nab-conv-autoencoder",
        ladder: [manifest("fp32", stored.name, stored, AUTOENCODER_IO)],
        policy: { mode: "static", variant: "fp32" },
      }),
    );
    await waitFor(
      "the model serving",
      async () => (await call(http, "GET", "/v1/health")).body.serving === true,
    );

    const model = await call(http, "GET", "/v1/model");
    expect(model.status).toBe(200);
    expect(model.body).toMatchObject({
      modelId: MODEL,
      inputs: AUTOENCODER_IO.inputs,
      policy: { mode: "static" },
      ladder: [{ name: "fp32" }],
    });

    const session = await InferenceSession.create(modelBytes);
    try {
      for (const [target, seed] of [
        [http, 1],
        [socket, 2],
      ] as const) {
        const data = windowOf(seed);
        const reply = await call(target, "POST", "/v1/infer", {
          priority: "critical",
          inputs: { window: { dims: [1, 1, 64], data } },
        });
        expect(reply.status, JSON.stringify(reply.body)).toBe(200);
        expect(reply.body).toMatchObject({ variant: "fp32", threads: 1, energySource: "model" });
        expect(reply.body.energyJ).toBeGreaterThan(0);
        const direct = await session.run({
          window: new Tensor("float32", Float32Array.from(data), [1, 1, 64]),
        });
        const want = Array.from(direct.reconstruction?.data as Float32Array);
        const got = (reply.body.outputs as Record<string, { dims: number[]; data: number[] }>).reconstruction;
        expect(got?.dims).toEqual([1, 1, 64]);
        expect(got?.data).toEqual(want);
      }
      // The same bytes as base64 (little-endian float32), batch of 2.
      const two = Float32Array.from([...windowOf(3), ...windowOf(4)]);
      const b64 = await call(http, "POST", "/v1/infer", {
        inputs: { window: { dims: [2, 1, 64], base64: Buffer.from(two.buffer).toString("base64") } },
      });
      expect(b64.status, JSON.stringify(b64.body)).toBe(200);
      const direct = await session.run({ window: new Tensor("float32", two, [2, 1, 64]) });
      expect((b64.body.outputs as Record<string, { data: number[] }>).reconstruction?.data).toEqual(
        Array.from(direct.reconstruction?.data as Float32Array),
      );
    } finally {
      await session.release();
    }

    // Every API request is metered and reported like any other, with its priority.
    await waitFor("the API requests in telemetry", async () => {
      const batches = await readTelemetry(nc, subjects.telemetryEnergy(ORG, DEVICE));
      const samples = batches.flatMap((b) => b.batch.samples).filter((s) => s.kind === "inference");
      return samples.filter((s) => s.priority === "critical").length === 2 && samples.length === 3;
    });
  });

  it("runs critical requests ahead of queued background work", async () => {
    // Queue background work straight into the agent's queue (as many API callers at once would): big batches of
    // 4096 windows keep the one worker busy for a while each.
    const big = new Tensor(
      "float32",
      Float32Array.from({ length: 4096 * 64 }, (_, i) => Math.sin(i / 7)),
      [4096, 1, 64],
    );
    const background = Array.from(
      { length: 12 },
      () =>
        new Promise<{ ok: boolean; queueMs: number }>((resolve) =>
          agent.loop.submit({
            priority: "background",
            enqueuedAt: performance.now(),
            inputs: { window: big },
            reply: (o) => resolve({ ok: o.ok, queueMs: o.ok ? o.result.queueMs : -1 }),
          }),
        ),
    );
    expect(agent.loop.queue.depthByPriority.background).toBeGreaterThanOrEqual(10);
    const critical = await call(http, "POST", "/v1/infer", {
      priority: "critical",
      inputs: { window: { dims: [1, 1, 64], data: windowOf(99) } },
    });
    const queuedBehind = agent.loop.queue.depthByPriority.background;
    expect(critical.status).toBe(200);
    // Background requests were still waiting when the critical one came back: it did not wait its turn.
    expect(queuedBehind).toBeGreaterThan(0);
    const done = await Promise.all(background);
    expect(done.every((r) => r.ok)).toBe(true);
    const bgQueue = done.map((r) => r.queueMs).sort((a, b) => a - b);
    expect(critical.body.queueMs as number).toBeLessThan(bgQueue[bgQueue.length - 1] as number);
  });

  it("answers what a caller got wrong with a 4xx that says what to send", async () => {
    const cases: Array<[unknown, string | undefined, number, RegExp]> = [
      [undefined, "{not json", 400, /not JSON/],
      [[1, 2], undefined, 400, /JSON object/],
      [{ priority: "urgent", inputs: {} }, undefined, 400, /critical, normal, background/],
      [{ inputs: {} }, undefined, 400, /"window" is missing; expected float32/],
      [
        { inputs: { window: { dims: [1, 1, 64], data: windowOf(0) }, extra: {} } },
        undefined,
        400,
        /unknown input "extra"/,
      ],
      [{ inputs: { window: { dims: [1, 64], data: windowOf(0) } } }, undefined, 400, /rank 2 given/],
      [{ inputs: { window: { dims: [1, 2, 64], data: windowOf(0) } } }, undefined, 400, /dimension 1 is 2/],
      [
        { inputs: { window: { dims: [1, 1, 64], data: [1, 2] } } },
        undefined,
        400,
        /has 2 values; .* need 64/,
      ],
      [
        { inputs: { window: { dims: [1, 1, 64], data: [...windowOf(0).slice(1), "x"] } } },
        undefined,
        400,
        /data\[63\]/,
      ],
      [{ inputs: { window: { dims: [1, 1, 64], base64: "AAAA" } } }, undefined, 400, /base64 holds 3 bytes/],
      [
        { inputs: { window: { dims: [1, 1, 64], data: windowOf(0) } }, timeoutMs: -1 },
        undefined,
        400,
        /timeoutMs/,
      ],
    ];
    for (const [body, raw, status, message] of cases) {
      const reply = await call(http, "POST", "/v1/infer", body, raw);
      expect(reply.status, JSON.stringify(body ?? raw)).toBe(status);
      expect((reply.body.error as { message: string }).message).toMatch(message);
    }
    expect((await call(http, "GET", "/v1/nope")).status).toBe(404);
    expect((await call(http, "DELETE", "/v1/infer")).status).toBe(405);
    // The agent served on through all of it.
    expect(agent.stats.inferenceErrors).toBe(0);
    expect((await call(socket, "GET", "/v1/status")).body).toMatchObject({ running: true });
  });

  it("refuses a port that is taken, naming it", async () => {
    const other = await tempStateDir();
    await writeTestIdentity(other, identityFor(ORG, "dev_api2", server.url));
    await expect(
      startAgent({
        stateDir: other,
        config: { input: "none", api: { http: agent.api.http, socket: null } },
        progress: false,
        log: createRecordingLogger(),
      }),
    ).rejects.toThrow(new RegExp(`local API on ${agent.api.http} is already in use`));
  });

  it("shutting down drains the queue: every queued request gets its answer, late ones a clear 503", async () => {
    const big = new Tensor("float32", new Float32Array(4096 * 64).fill(0.5), [4096, 1, 64]);
    const queued = Array.from(
      { length: 8 },
      () =>
        new Promise<string>((resolve) =>
          agent.loop.submit({
            priority: "background",
            enqueuedAt: performance.now(),
            inputs: { window: big },
            reply: (o) => resolve(o.ok ? "ok" : ((o.error as { code?: string }).code ?? "error")),
          }),
        ),
    );
    const stopping = agent.stop();
    const late = await call(socket, "POST", "/v1/infer", {
      inputs: { window: { dims: [1, 1, 64], data: windowOf(7) } },
    }).catch((err: Error) => ({ status: 0, body: { error: { code: err.message } } }));
    await stopping;
    // Within shutdownDrainSeconds (5 s) the queue drains: every queued request was served.
    expect(await Promise.all(queued)).toEqual(Array(8).fill("ok"));
    expect(late.status).toBe(503);
    expect(late.body.error).toMatchObject({ code: "STOPPING" });
    const status = await findStatus(stateDir);
    expect(status?.running).toBe(false);
    expect(status?.outbox.depth).toBe(0);
  });
});
