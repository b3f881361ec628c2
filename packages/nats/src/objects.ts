/**
 * Model files in the Object Store. Each object carries the hex sha256 of its bytes in its metadata;
 * readers verify it before anything uses the file.
 */
import { createHash } from "node:crypto";
import { createReadStream, createWriteStream } from "node:fs";
import { rename, rm } from "node:fs/promises";
import { Readable, Transform } from "node:stream";
import { pipeline } from "node:stream/promises";
import type { ReadableStream as WebReadableStream } from "node:stream/web";
import { OBJECT_BUCKETS } from "@edgewatt/protocol";
import { type ObjectInfo, type ObjectStore, Objm } from "@nats-io/obj";
import type { NatsConnection } from "@nats-io/transport-node";
import { EdgewattNatsError } from "./errors";

export async function openModelStore(nc: NatsConnection): Promise<ObjectStore> {
  return new Objm(nc).open(OBJECT_BUCKETS.models);
}

export interface StoredObject {
  name: string;
  sha256: string;
  sizeBytes: number;
}

/** Streams a local file into the store under `name`, recording its sha256 (computed by the caller or here). */
export async function putObjectFromFile(
  store: ObjectStore,
  name: string,
  path: string,
  sha256: string,
  metadata: Record<string, string> = {},
): Promise<StoredObject> {
  const rs = Readable.toWeb(createReadStream(path)) as unknown as ReadableStream<Uint8Array>;
  const info = await store.put({ name, metadata: { ...metadata, sha256 } }, rs);
  return { name, sha256, sizeBytes: info.size };
}

export async function putObjectBytes(
  store: ObjectStore,
  name: string,
  bytes: Uint8Array,
  metadata: Record<string, string> = {},
): Promise<StoredObject> {
  const sha256 = createHash("sha256").update(bytes).digest("hex");
  const info = await store.putBlob({ name, metadata: { ...metadata, sha256 } }, bytes);
  return { name, sha256, sizeBytes: info.size };
}

export function sha256Of(info: ObjectInfo): string | undefined {
  return info.metadata?.sha256;
}

export interface FetchOptions {
  expectedSha256: string;
  onProgress?: (received: number, total: number) => void;
}

/**
 * Downloads `name` into `destPath` (through a temp file, renamed only once its sha256 matches), so a
 * half-written or tampered file is never left where it could be loaded.
 */
export async function getObjectToFile(
  store: ObjectStore,
  name: string,
  destPath: string,
  opts: FetchOptions,
): Promise<StoredObject> {
  const result = await store.get(name);
  if (!result)
    throw new EdgewattNatsError(
      "OBJECT_NOT_FOUND",
      `object ${name} is not in the ${OBJECT_BUCKETS.models} store`,
    );
  const total = result.info.size;
  const hash = createHash("sha256");
  let received = 0;
  const tmp = `${destPath}.part-${process.pid}-${Date.now()}`;
  const meter = new Transform({
    transform(chunk: Buffer, _enc, cb) {
      hash.update(chunk);
      received += chunk.length;
      opts.onProgress?.(received, total);
      cb(null, chunk);
    },
  });
  try {
    await pipeline(
      Readable.fromWeb(result.data as unknown as WebReadableStream<Uint8Array>),
      meter,
      createWriteStream(tmp, { mode: 0o600 }),
    );
    const err = await result.error;
    if (err) throw err;
    const actual = hash.digest("hex");
    if (actual !== opts.expectedSha256) {
      throw new EdgewattNatsError(
        "SHA256_MISMATCH",
        `object ${name}: sha256 ${actual} does not match the expected ${opts.expectedSha256}; the file was discarded`,
      );
    }
    await rename(tmp, destPath);
    return { name, sha256: actual, sizeBytes: received };
  } catch (err) {
    await rm(tmp, { force: true });
    throw err;
  }
}
