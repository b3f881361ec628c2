/**
 * Resumable downloads from the model Object Store against a real nats-server: an interrupted download leaves
 * `<dest>.part` + `<dest>.part.json`, and the next call fetches only the chunks it is missing.
 *
 * A `.part` corrupted on local disk is not detected until the end (sha256 state cannot be checkpointed), so
 * that call fails with SHA256_MISMATCH, deletes both files, and the call after it starts from scratch.
 */
import { createHash } from "node:crypto";
import { appendFile, mkdtemp, open, readFile, rm, stat, truncate } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { ObjectStore } from "@nats-io/obj";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  connectNats,
  ensureControlPlane,
  type FetchOptions,
  getObjectToFile,
  type NatsConnection,
  openModelStore,
} from "../src";
import { startNatsServer, type TestNatsServer } from "../src/testing";

const SIZE = 1024 * 1024;
const CHUNK = 64 * 1024;
const STOP_AT = 4 * CHUNK;

const sha256Hex = (b: Uint8Array) => createHash("sha256").update(b).digest("hex");
const exists = (path: string) =>
  stat(path).then(
    () => true,
    () => false,
  );
const modeOf = async (path: string) => (await stat(path)).mode & 0o777;

interface Sidecar {
  objectName: string;
  nuid: string;
  size: number;
  digest: string;
  expectedSha256: string;
  receivedBytes: number;
  lastStreamSeq: number;
}

describe("resumable object downloads against a real nats-server", () => {
  let server: TestNatsServer;
  let nc: NatsConnection;
  let store: ObjectStore;
  let dir: string;
  beforeAll(async () => {
    server = await startNatsServer();
    nc = await connectNats({ servers: server.url, name: "test" });
    await ensureControlPlane(nc);
    store = await openModelStore(nc);
    dir = await mkdtemp(join(tmpdir(), "ew-obj-resume-"));
  });
  afterAll(async () => {
    await nc?.close();
    await server?.stop();
    await rm(dir, { recursive: true, force: true });
  });

  /** Puts a 1 MiB object in 64 KiB chunks (16 stream messages). */
  async function putChunked(name: string, seed: number): Promise<{ bytes: Uint8Array; sha256: string }> {
    const bytes = new Uint8Array(SIZE).map((_, i) => (i * seed + (i >> 12)) % 251);
    const sha256 = sha256Hex(bytes);
    await store.putBlob({ name, metadata: { sha256 }, options: { max_chunk_size: CHUNK } }, bytes);
    return { bytes, sha256 };
  }

  /** Starts a download and aborts it once `stopAt` bytes are on disk. */
  async function interrupt(
    name: string,
    dest: string,
    expectedSha256: string,
    stopAt = STOP_AT,
    s = store,
  ): Promise<void> {
    const ac = new AbortController();
    await expect(
      getObjectToFile(s, name, dest, {
        expectedSha256,
        signal: ac.signal,
        onProgress: (received) => {
          if (received >= stopAt) ac.abort(new Error("test stops the download"));
        },
      }),
    ).rejects.toThrow("test stops the download");
  }

  async function sidecarOf(dest: string): Promise<Sidecar> {
    return JSON.parse(await readFile(`${dest}.part.json`, "utf8")) as Sidecar;
  }

  /** Downloads and records every progress report. */
  async function download(
    name: string,
    dest: string,
    expectedSha256: string,
    extra: Partial<FetchOptions> = {},
  ) {
    const progress: number[] = [];
    const result = await getObjectToFile(store, name, dest, {
      expectedSha256,
      onProgress: (received, total) => {
        expect(total).toBe(SIZE);
        progress.push(received);
      },
      ...extra,
    });
    return { result, progress };
  }

  it("an aborted download keeps .part + sidecar; the next call fetches only the remaining chunks", async () => {
    const name = "org_a/mdl_1/resume.onnx";
    const { bytes, sha256 } = await putChunked(name, 7);
    const info = await store.info(name);
    const dest = join(dir, "resume.onnx");

    await interrupt(name, dest, sha256);
    expect(await exists(dest)).toBe(false);
    const side = await sidecarOf(dest);
    expect(side).toMatchObject({
      objectName: name,
      nuid: info?.nuid,
      size: SIZE,
      digest: info?.digest,
      expectedSha256: sha256,
      receivedBytes: STOP_AT,
    });
    expect(side.lastStreamSeq).toBeGreaterThan(0);
    expect((await stat(`${dest}.part`)).size).toBe(STOP_AT);
    expect(await modeOf(`${dest}.part`)).toBe(0o600);
    expect(await modeOf(`${dest}.part.json`)).toBe(0o600);

    const inBefore = nc.stats().inBytes;
    const { result, progress } = await download(name, dest, sha256);
    const inBytes = nc.stats().inBytes - inBefore;

    expect(result).toEqual({ name, sha256, sizeBytes: SIZE, resumedFromBytes: STOP_AT });
    // The first report counts the resumed bytes; the rest add up to exactly the remainder.
    expect(progress[0]).toBe(STOP_AT);
    expect(progress.at(-1)).toBe(SIZE);
    expect(progress.length - 1).toBe((SIZE - STOP_AT) / CHUNK);
    // Only the remaining 12 chunks crossed the wire (plus headers and a few API replies), not the whole object.
    expect(inBytes).toBeGreaterThanOrEqual(SIZE - STOP_AT);
    expect(inBytes).toBeLessThan(SIZE - STOP_AT + 32 * 1024);

    expect(Buffer.from(bytes).equals(await readFile(dest))).toBe(true);
    expect(await modeOf(dest)).toBe(0o600);
    expect(await exists(`${dest}.part`)).toBe(false);
    expect(await exists(`${dest}.part.json`)).toBe(false);
  });

  it("a download cut off by the connection closing resumes on a new connection", async () => {
    const name = "org_a/mdl_1/conn.onnx";
    const { sha256 } = await putChunked(name, 11);
    const dest = join(dir, "conn.onnx");
    const other = await connectNats({ servers: server.url, name: "short-lived" });
    const otherStore = await openModelStore(other);
    await expect(
      getObjectToFile(otherStore, name, dest, {
        expectedSha256: sha256,
        onProgress: (received) => {
          if (received >= 8 * CHUNK) void other.close();
        },
      }),
    ).rejects.toMatchObject({ code: "CONNECT_FAILED", message: expect.stringMatching(/connection closed/) });
    const side = await sidecarOf(dest);
    expect(side.receivedBytes).toBeGreaterThanOrEqual(8 * CHUNK);
    expect(side.receivedBytes % CHUNK).toBe(0);

    const { result } = await download(name, dest, sha256);
    expect(result.resumedFromBytes).toBe(side.receivedBytes);
    expect(sha256Hex(new Uint8Array(await readFile(dest)))).toBe(sha256);
  });

  it("a .part longer than its sidecar records (killed before a checkpoint) is cut back and resumed", async () => {
    const name = "org_a/mdl_1/longer.onnx";
    const { sha256 } = await putChunked(name, 13);
    const dest = join(dir, "longer.onnx");
    await interrupt(name, dest, sha256);
    await appendFile(`${dest}.part`, new Uint8Array(1000).fill(0xee));

    const { result } = await download(name, dest, sha256);
    expect(result.resumedFromBytes).toBe(STOP_AT);
    expect(sha256Hex(new Uint8Array(await readFile(dest)))).toBe(sha256);
  });

  it("a .part shorter than its sidecar records is discarded and the download starts over", async () => {
    const name = "org_a/mdl_1/shorter.onnx";
    const { sha256 } = await putChunked(name, 17);
    const dest = join(dir, "shorter.onnx");
    await interrupt(name, dest, sha256);
    await truncate(`${dest}.part`, 100);

    const { result, progress } = await download(name, dest, sha256);
    expect(result.resumedFromBytes).toBe(0);
    expect(progress[0]).toBe(CHUNK);
    expect(sha256Hex(new Uint8Array(await readFile(dest)))).toBe(sha256);
  });

  it("a .part corrupted on disk fails with SHA256_MISMATCH, is deleted, and the next call starts over", async () => {
    const name = "org_a/mdl_1/corrupt.onnx";
    const { sha256 } = await putChunked(name, 19);
    const dest = join(dir, "corrupt.onnx");
    await interrupt(name, dest, sha256);
    const fh = await open(`${dest}.part`, "r+");
    const one = new Uint8Array(1);
    await fh.read(one, 0, 1, 1000);
    await fh.write(new Uint8Array([one[0]! ^ 0xff]), 0, 1, 1000);
    await fh.close();

    await expect(download(name, dest, sha256)).rejects.toMatchObject({
      code: "SHA256_MISMATCH",
      message: expect.stringMatching(/came from an earlier partial download/),
    });
    expect(await exists(dest)).toBe(false);
    expect(await exists(`${dest}.part`)).toBe(false);
    expect(await exists(`${dest}.part.json`)).toBe(false);

    const { result } = await download(name, dest, sha256);
    expect(result.resumedFromBytes).toBe(0);
    expect(sha256Hex(new Uint8Array(await readFile(dest)))).toBe(sha256);
  });

  it("an object replaced between attempts is downloaded again from byte 0", async () => {
    const name = "org_a/mdl_1/replaced.onnx";
    const first = await putChunked(name, 23);
    const dest = join(dir, "replaced.onnx");
    await interrupt(name, dest, first.sha256);
    const second = await putChunked(name, 29);
    expect(second.sha256).not.toBe(first.sha256);

    const { result, progress } = await download(name, dest, second.sha256);
    expect(result.resumedFromBytes).toBe(0);
    expect(progress[0]).toBe(CHUNK);
    expect(Buffer.from(second.bytes).equals(await readFile(dest))).toBe(true);
  });

  it("refuses before downloading when the store's digest already differs from the expected sha256", async () => {
    const name = "org_a/mdl_1/other.onnx";
    await putChunked(name, 31);
    const dest = join(dir, "other.onnx");
    await expect(
      getObjectToFile(store, name, dest, { expectedSha256: "0".repeat(64) }),
    ).rejects.toMatchObject({
      code: "SHA256_MISMATCH",
      message: expect.stringMatching(/nothing was downloaded/),
    });
    expect(await exists(`${dest}.part`)).toBe(false);
  });

  it("downloads an empty object", async () => {
    const name = "org_a/mdl_1/empty.onnx";
    const sha256 = sha256Hex(new Uint8Array());
    await store.putBlob({ name, metadata: { sha256 } }, new Uint8Array());
    const dest = join(dir, "empty.onnx");
    const result = await getObjectToFile(store, name, dest, { expectedSha256: sha256 });
    expect(result).toEqual({ name, sha256, sizeBytes: 0, resumedFromBytes: 0 });
    expect((await stat(dest)).size).toBe(0);
  });

  it("says clearly when the object is missing, deleted or a link", async () => {
    const dest = join(dir, "bad.onnx");
    const opts = { expectedSha256: "0".repeat(64) };
    await expect(getObjectToFile(store, "org_a/nope.onnx", dest, opts)).rejects.toMatchObject({
      code: "OBJECT_NOT_FOUND",
      message: expect.stringMatching(/is not in the MODELS store/),
    });

    const gone = "org_a/mdl_1/gone.onnx";
    await putChunked(gone, 37);
    await store.delete(gone);
    await expect(getObjectToFile(store, gone, dest, opts)).rejects.toMatchObject({
      code: "OBJECT_NOT_FOUND",
      message: expect.stringMatching(/was deleted/),
    });

    const target = "org_a/mdl_1/target.onnx";
    const { sha256 } = await putChunked(target, 41);
    const info = await store.info(target);
    if (!info) throw new Error("target not stored");
    await store.link("org_a/mdl_1/alias.onnx", info);
    await expect(
      getObjectToFile(store, "org_a/mdl_1/alias.onnx", dest, { expectedSha256: sha256 }),
    ).rejects.toMatchObject({
      code: "OBJECT_NOT_FOUND",
      message: expect.stringMatching(/is a link to object org_a\/mdl_1\/target\.onnx .*not supported/),
    });
    expect(await exists(`${dest}.part`)).toBe(false);
  });
});
