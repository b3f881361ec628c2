import { mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { encode, STREAMS, subjects, ZJobRequest } from "@edgewatt/protocol";
import { jetstream } from "@nats-io/jetstream";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  connectNats,
  ensureControlPlane,
  getObjectToFile,
  type NatsConnection,
  openModelStore,
  putObjectBytes,
  runConsumer,
} from "../src";
import { startNatsServer, type TestNatsServer } from "../src/testing";

const silent = { info() {}, warn() {}, error() {} };

describe("nats helpers against a real nats-server", () => {
  let server: TestNatsServer;
  let nc: NatsConnection;
  let dir: string;
  beforeAll(async () => {
    server = await startNatsServer();
    nc = await connectNats({ servers: server.url, name: "test" });
    await ensureControlPlane(nc);
    dir = await mkdtemp(join(tmpdir(), "ew-obj-"));
  });
  afterAll(async () => {
    await nc?.close();
    await server?.stop();
    await rm(dir, { recursive: true, force: true });
  });

  it("ensureControlPlane is idempotent", async () => {
    await expect(ensureControlPlane(nc)).resolves.toBeUndefined();
  });

  it("stores an object and fetches it back with its sha256 checked", async () => {
    const store = await openModelStore(nc);
    const bytes = new Uint8Array(300_000).map((_, i) => i % 251);
    const stored = await putObjectBytes(store, "org_a/model_b/original.onnx", bytes);
    const dest = join(dir, "m.onnx");
    const progress: number[] = [];
    await getObjectToFile(store, stored.name, dest, {
      expectedSha256: stored.sha256,
      onProgress: (r) => progress.push(r),
    });
    expect(new Uint8Array(await readFile(dest))).toEqual(bytes);
    expect(progress.at(-1)).toBe(bytes.length);
  });

  it("refuses a download whose sha256 does not match and leaves no file", async () => {
    const store = await openModelStore(nc);
    const stored = await putObjectBytes(store, "org_a/model_b/tampered.onnx", new Uint8Array([1, 2, 3]));
    const dest = join(dir, "bad.onnx");
    await expect(
      getObjectToFile(store, stored.name, dest, { expectedSha256: "0".repeat(64) }),
    ).rejects.toMatchObject({ code: "SHA256_MISMATCH" });
    await expect(readFile(dest)).rejects.toThrow();
    await writeFile(join(dir, "x"), "");
  });

  it("a consumer loop survives malformed messages and handles the valid ones", async () => {
    const js = jetstream(nc);
    const seen: string[] = [];
    const consumer = await runConsumer({
      nc,
      stream: STREAMS.jobs,
      durable: "test-workers",
      def: ZJobRequest,
      log: silent,
      handle: async (job) => {
        seen.push(job.jobId);
      },
    });
    await js.publish(subjects.jobRequest("optimize"), new TextEncoder().encode("{not json"));
    await js.publish(
      subjects.jobRequest("optimize"),
      new TextEncoder().encode(JSON.stringify({ type: "job.request", v: 1, data: {} })),
    );
    await js.publish(
      subjects.jobRequest("optimize"),
      encode(ZJobRequest, {
        jobId: "job_1",
        orgId: "org_1",
        kind: "optimize",
        modelId: "mdl_1",
        recipe: ["quantize-dynamic-int8"],
      }),
    );
    await expect.poll(() => seen, { timeout: 5000 }).toEqual(["job_1"]);
    expect(consumer.stats.invalid).toBe(2);
    await consumer.stop();
  });
});
