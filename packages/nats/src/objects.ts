/**
 * Model files in the Object Store. Each object carries the hex sha256 of its bytes in its metadata;
 * readers verify it before anything uses the file, and a download interrupted part way resumes where it stopped.
 */
import { createHash, type Hash } from "node:crypto";
import { createReadStream } from "node:fs";
import { open, readFile, rename, rm, stat, writeFile } from "node:fs/promises";
import { Readable } from "node:stream";
import { OBJECT_BUCKETS } from "@edgewatt/protocol";
import { DeliverPolicy, type JetStreamClient } from "@nats-io/jetstream";
import { type ObjectInfo, type ObjectStore, Objm } from "@nats-io/obj";
import {
  ClosedConnectionError,
  type NatsConnection,
  PermissionViolationError,
  type QueuedIterator,
  type Status,
} from "@nats-io/transport-node";
import { z } from "zod";
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
  /** Called after every chunk with the bytes on disk so far (bytes resumed from a `.part` file included). */
  onProgress?: (received: number, total: number) => void;
  /** Stops the download; the `.part` file and its sidecar stay so the next call resumes from them. */
  signal?: AbortSignal;
}

export interface FetchedObject extends StoredObject {
  /** Bytes reused from an earlier interrupted attempt's `.part` file (0 for a download from scratch). */
  resumedFromBytes: number;
}

/**
 * What an interrupted download got, in `<destPath>.part.json` beside `<destPath>.part`. `receivedBytes` is a
 * prefix of the `.part` file: the chunks up to stream sequence `lastStreamSeq` of object version `nuid`.
 */
const ZPartialDownload = z.object({
  v: z.literal(1),
  objectName: z.string(),
  nuid: z.string(),
  size: z.number().int().nonnegative(),
  digest: z.string(),
  expectedSha256: z.string(),
  receivedBytes: z.number().int().nonnegative(),
  lastStreamSeq: z.number().int().nonnegative(),
});
type PartialDownload = z.infer<typeof ZPartialDownload>;

/** The sidecar is rewritten (after an fsync of the `.part`) at most once per this many bytes, and on every stop. */
const CHECKPOINT_BYTES = 1024 * 1024;
/** Chunks requested per pull: bounds what sits in memory (default chunk size is 128 KiB). */
const PULL_BATCH = 16;

/**
 * Downloads `name` into `destPath`, resumably. Bytes land in `<destPath>.part`, with `<destPath>.part.json`
 * recording how far they go; after an interruption (abort, lost connection, killed process) the next call
 * with the same `destPath` re-hashes the `.part` locally and fetches only the remaining chunks, unless the
 * object in the store is no longer the one the `.part` came from, in which case it starts over. The file is
 * renamed to `destPath` only once its sha256 matches `expectedSha256`; a mismatch deletes the `.part` and its
 * sidecar, so the next call downloads from scratch. Run one download per `destPath` at a time.
 *
 * The chunks are read with an ordered pull consumer on the object store's stream, so the caller's NATS
 * user needs, besides what `ObjectStore.info` uses, `$JS.API.CONSUMER.CREATE.OBJ_<bucket>.*.$O.<bucket>.C.*`,
 * `$JS.API.CONSUMER.MSG.NEXT.OBJ_<bucket>.*` and, to recover from a reconnect, `$JS.API.CONSUMER.INFO.OBJ_<bucket>.*`.
 */
export async function getObjectToFile(
  store: ObjectStore,
  name: string,
  destPath: string,
  opts: FetchOptions,
): Promise<FetchedObject> {
  opts.signal?.throwIfAborted();
  const info = await getDownloadableInfo(store, name);
  const storeSha256 = digestHex(info.digest);
  if (storeSha256 !== null && storeSha256 !== opts.expectedSha256) {
    throw new EdgewattNatsError(
      "SHA256_MISMATCH",
      `object ${name}: the store's digest says sha256 ${storeSha256}, not the expected ${opts.expectedSha256}; nothing was downloaded`,
    );
  }
  const paths = { part: `${destPath}.part`, sidecar: `${destPath}.part.json` };
  const start = await findResumePoint(paths, name, info, opts.expectedSha256, opts.signal);
  const total = info.size;
  const hash = start.hash;
  let received = start.receivedBytes;
  let lastStreamSeq = start.lastStreamSeq;
  let checkpointed = -1;
  const fh = await open(paths.part, received > 0 ? "r+" : "w", 0o600);
  const checkpoint = async () => {
    if (checkpointed === received) return;
    await fh.datasync();
    await writeSidecar(paths.sidecar, {
      v: 1,
      objectName: name,
      nuid: info.nuid,
      size: total,
      digest: info.digest,
      expectedSha256: opts.expectedSha256,
      receivedBytes: received,
      lastStreamSeq,
    });
    checkpointed = received;
  };
  try {
    await fh.chmod(0o600);
    await fh.truncate(received);
    await checkpoint();
    if (received > 0) opts.onProgress?.(received, total);
    if (received < total) {
      await readChunks(jetStreamOf(store), info, lastStreamSeq, opts.signal, async (data, seq, pending) => {
        if (received + data.length > total || (pending === 0 && received + data.length < total)) {
          throw new DiscardPartial(
            `object ${name}: its chunks add up to ${received + data.length}${pending === 0 ? "" : "+"} bytes, ` +
              `not the ${total} its info declares; the partial file was discarded, call again to retry`,
          );
        }
        await fh.write(data, 0, data.length, received);
        hash.update(data);
        received += data.length;
        lastStreamSeq = seq;
        if (received - checkpointed >= CHECKPOINT_BYTES) await checkpoint();
        opts.onProgress?.(received, total);
        return received === total;
      });
    }
    await fh.close();
  } catch (err) {
    if (err instanceof DiscardPartial) {
      await fh.close().catch(() => {});
      await deletePartial(paths);
      throw new EdgewattNatsError("OBJECT_NOT_FOUND", err.message);
    }
    // Keep what arrived for the next call; the sidecar must describe exactly the bytes fsync'ed so far.
    await checkpoint().catch(() => {});
    await fh.close().catch(() => {});
    if (err instanceof Interrupted || err instanceof ClosedConnectionError) {
      throw new EdgewattNatsError(
        "CONNECT_FAILED",
        `object ${name}: the download stopped after ${received} of ${total} bytes because the NATS connection ` +
          `closed; the partial file is kept and the next call resumes it`,
        { cause: err },
      );
    }
    throw err;
  }

  const actual = hash.digest("hex");
  if (actual !== opts.expectedSha256) {
    await deletePartial(paths);
    const resumed =
      start.receivedBytes > 0 ? ` (${start.receivedBytes} bytes came from an earlier partial download)` : "";
    throw new EdgewattNatsError(
      "SHA256_MISMATCH",
      `object ${name}: sha256 ${actual} does not match the expected ${opts.expectedSha256}${resumed}; ` +
        `the file was discarded and the next call downloads it from scratch`,
    );
  }
  await rename(paths.part, destPath);
  await rm(paths.sidecar, { force: true });
  return { name, sha256: actual, sizeBytes: received, resumedFromBytes: start.receivedBytes };
}

/** Thrown inside the download when the `.part` can never become the object (it is deleted, not kept). */
class DiscardPartial extends Error {}
/** The chunk iterator ended early without an error: the connection closed. */
class Interrupted extends Error {}

async function getDownloadableInfo(store: ObjectStore, name: string): Promise<ObjectInfo> {
  const info = await store.info(name);
  if (!info) {
    throw new EdgewattNatsError(
      "OBJECT_NOT_FOUND",
      `object ${name} is not in the ${OBJECT_BUCKETS.models} store`,
    );
  }
  if (info.deleted) {
    throw new EdgewattNatsError(
      "OBJECT_NOT_FOUND",
      `object ${name} was deleted from the ${info.bucket} store; upload it again`,
    );
  }
  const link = info.options?.link;
  if (link) {
    throw new EdgewattNatsError(
      "OBJECT_NOT_FOUND",
      `object ${name} is a link to ${link.name ? `object ${link.name} in ` : ""}bucket ${link.bucket}; ` +
        `links are not supported for downloads, reference the object it points to instead`,
    );
  }
  return info;
}

/** The hex sha256 in an object's `SHA-256=<base64url>` digest, or null when it is in another form. */
function digestHex(digest: string): string | null {
  const prefix = "SHA-256=";
  if (!digest.startsWith(prefix)) return null;
  const value = digest.slice(prefix.length);
  if (/^[0-9a-fA-F]{64}$/.test(value)) return value.toLowerCase();
  const bytes = Buffer.from(value, "base64url");
  return bytes.length === 32 ? bytes.toString("hex") : null;
}

/** `Objm.open` returns an ObjectStoreImpl, whose public `js` field the ObjectStore type leaves out. */
function jetStreamOf(store: ObjectStore): JetStreamClient {
  const js = (store as ObjectStore & { js?: JetStreamClient }).js;
  if (!js || typeof js.consumers?.get !== "function") {
    throw new TypeError("getObjectToFile needs an ObjectStore opened with Objm (openModelStore)");
  }
  return js;
}

/**
 * Where to continue from: the sidecar's prefix of the `.part` (re-hashed) when both still describe the object
 * now in the store, otherwise nothing (and whatever was there is deleted).
 */
async function findResumePoint(
  paths: { part: string; sidecar: string },
  name: string,
  info: ObjectInfo,
  expectedSha256: string,
  signal: AbortSignal | undefined,
): Promise<{ receivedBytes: number; lastStreamSeq: number; hash: Hash }> {
  const hash = createHash("sha256");
  const saved = await readSidecar(paths.sidecar);
  const partSize = await stat(paths.part).then(
    (s) => s.size,
    () => -1,
  );
  const usable =
    saved !== null &&
    saved.objectName === name &&
    saved.nuid === info.nuid &&
    saved.size === info.size &&
    saved.digest === info.digest &&
    saved.expectedSha256 === expectedSha256 &&
    saved.receivedBytes <= info.size &&
    saved.receivedBytes <= partSize &&
    (saved.receivedBytes === 0 || saved.lastStreamSeq > 0);
  if (!usable || saved.receivedBytes === 0) {
    await deletePartial(paths);
    return { receivedBytes: 0, lastStreamSeq: 0, hash };
  }
  for await (const chunk of createReadStream(paths.part, {
    start: 0,
    end: saved.receivedBytes - 1,
    ...(signal ? { signal } : {}),
  })) {
    hash.update(chunk as Buffer);
  }
  return { receivedBytes: saved.receivedBytes, lastStreamSeq: saved.lastStreamSeq, hash };
}

async function readSidecar(path: string): Promise<PartialDownload | null> {
  const text = await readFile(path, "utf8").catch(() => null);
  if (text === null) return null;
  try {
    const parsed = ZPartialDownload.safeParse(JSON.parse(text));
    return parsed.success ? parsed.data : null;
  } catch {
    return null;
  }
}

/** Written to a temp file and renamed, so a crash leaves the old sidecar or the new one, never half of one. */
async function writeSidecar(path: string, value: PartialDownload): Promise<void> {
  const tmp = `${path}.tmp`;
  await writeFile(tmp, `${JSON.stringify(value)}\n`, { mode: 0o600 });
  await rename(tmp, path);
}

async function deletePartial(paths: { part: string; sidecar: string }): Promise<void> {
  await rm(paths.sidecar, { force: true });
  await rm(`${paths.sidecar}.tmp`, { force: true });
  await rm(paths.part, { force: true });
}

/**
 * Feeds the object's chunks after stream sequence `afterSeq` to `onChunk` (in order; it returns true after
 * the last one) through an ordered pull consumer, which re-creates itself past the last chunk seen after a
 * gap or reconnect. Throws the signal's reason when aborted and Interrupted when the connection closes.
 */
async function readChunks(
  js: JetStreamClient,
  info: ObjectInfo,
  afterSeq: number,
  signal: AbortSignal | undefined,
  onChunk: (data: Uint8Array, streamSeq: number, pending: number) => Promise<boolean>,
): Promise<void> {
  // The object store client's own layout (@nats-io/obj): stream OBJ_<bucket>, chunks on $O.<bucket>.C.<nuid>.
  const consumer = await js.consumers.get(`OBJ_${info.bucket}`, {
    filter_subjects: `$O.${info.bucket}.C.${info.nuid}`,
    deliver_policy: DeliverPolicy.StartSequence,
    opt_start_seq: afterSeq + 1,
  });
  if ((await consumer.info(true)).num_pending === 0) {
    throw new DiscardPartial(
      `object ${info.name}: its data (version ${info.nuid}) is no longer in the store, it was replaced or deleted ` +
        `while downloading; the partial file was discarded, call again to retry`,
    );
  }
  signal?.throwIfAborted();
  const messages = await consumer.consume({ max_messages: PULL_BATCH });
  const stop = () => messages.stop();
  signal?.addEventListener("abort", stop, { once: true });
  // A refused pull request only shows up as a connection status; without this the download would wait forever.
  const refusals = watchConsumerRefusals(js, `OBJ_${info.bucket}`, (err) =>
    messages.stop(
      new EdgewattNatsError(
        "CONNECT_FAILED",
        `object ${info.name}: the server refused ${err.subject} to this NATS user, so the download cannot ` +
          `proceed; its permissions need to allow pulling from an ordered consumer on OBJ_${info.bucket}`,
        { cause: err },
      ),
    ),
  );
  let done = false;
  try {
    for await (const m of messages) {
      if (signal?.aborted) break;
      done = await onChunk(m.data, m.info.streamSequence, m.info.pending);
      if (done || signal?.aborted) break;
    }
  } finally {
    signal?.removeEventListener("abort", stop);
    refusals?.stop();
    messages.stop();
  }
  signal?.throwIfAborted();
  if (!done) throw new Interrupted();
}

/**
 * Calls `onRefused` when the server refuses this connection a consumer request the download needs on `stream`.
 * The connection comes from the client's public `nc` field, which the JetStreamClient type leaves out.
 */
function watchConsumerRefusals(
  js: JetStreamClient,
  stream: string,
  onRefused: (err: PermissionViolationError) => void,
): QueuedIterator<Status> | null {
  const nc = (js as JetStreamClient & { nc?: NatsConnection }).nc;
  if (!nc) return null;
  const statuses = nc.status() as QueuedIterator<Status>;
  // Not DELETE: the ordered consumer's clean-up of a replaced consumer may be refused harmlessly (it expires).
  const needed = ["CREATE", "MSG.NEXT", "INFO"].map((op) => `${js.apiPrefix}.CONSUMER.${op}.${stream}.`);
  void (async () => {
    for await (const s of statuses) {
      if (
        s.type === "error" &&
        s.error instanceof PermissionViolationError &&
        needed.some((p) => (s.error as PermissionViolationError).subject.startsWith(p))
      ) {
        onRefused(s.error);
      }
    }
  })();
  return statuses;
}
