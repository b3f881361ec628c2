/**
 * Upload of an ONNX model: the raw body is streamed to a temp file under a size limit while its sha256
 * is computed; the file is parsed and inspected by the engine; the original goes to the MODELS object
 * store; the model, its `fp32` baseline variant and an optimization job are written in one transaction
 * with an audit record; then the job is published. Nothing is left half-created: a failure before the
 * transaction stores nothing, a failed transaction deletes the stored object, and the temp file is
 * always removed.
 */
import { createHash } from "node:crypto";
import { createWriteStream } from "node:fs";
import { mkdtemp, readFile, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Readable, Transform } from "node:stream";
import { pipeline } from "node:stream/promises";
import type { ReadableStream as NodeWebReadableStream } from "node:stream/web";
import { createJob, createModel, createVariant, type Db, newId, writeAudit } from "@edgewatt/db";
import type { ModelInspection } from "@edgewatt/db/schema";
import {
  AUTO_RECIPE,
  assertValidModel,
  inspectModel,
  isEngineError,
  type ModelSummary,
  parseModel,
} from "@edgewatt/engine";
import { type NatsConnection, openModelStore, putObjectFromFile } from "@edgewatt/nats";
import { objectNames } from "@edgewatt/protocol";
import { formatBytes } from "../../../lib/format";
import { ServiceError } from "../../errors";
import { type Actor, requireWriter } from "../actor";
import { queueOptimizationJob } from "../jobs/queue-optimization-job";

/** What every new model gets optimized with: the engine's standard ladder (int8-dynamic, int8-static, int4, fp16). */
export const DEFAULT_RECIPE = [AUTO_RECIPE];

export interface UploadModelOptions {
  db: Db;
  nc: NatsConnection;
  actor: Actor;
  /** Display name, already validated (1-120 characters). */
  name: string;
  /** The uploaded file's own name, for the record. */
  fileName: string;
  /** The request body, streamed. */
  body: ReadableStream<Uint8Array> | AsyncIterable<Uint8Array> | null;
  /** The Content-Length header, when the client sent one. */
  contentLength: number | null;
  maxBytes: number;
  /** Where temp files go (default: the OS temp dir). */
  tmpRoot?: string;
}

export interface UploadModelResult {
  modelId: string;
  jobId: string;
  sha256: string;
  sizeBytes: number;
  /** False when the job could not be published (it is then marked failed with a retry hint). */
  jobQueued: boolean;
}

export async function uploadModel(opts: UploadModelOptions): Promise<UploadModelResult> {
  const { db, nc, actor } = opts;
  requireWriter(actor, "upload models");
  if (opts.contentLength !== null && opts.contentLength > opts.maxBytes) {
    throw tooLarge(`The file is ${formatBytes(opts.contentLength)}`, opts.maxBytes);
  }
  if (!opts.body) {
    throw new ServiceError(
      "BAD_REQUEST",
      "The request has no body: send the .onnx file itself as the request body (Content-Type: application/octet-stream).",
    );
  }

  const dir = await mkdtemp(join(opts.tmpRoot ?? tmpdir(), "ew-upload-"));
  try {
    const path = join(dir, "model.onnx");
    const { sha256, sizeBytes } = await receiveToFile(opts.body, path, opts.maxBytes, opts.contentLength);
    const bytes = await readFile(path);
    const inspection = toInspection(inspect(bytes));

    const modelId = newId("mdl");
    const jobId = newId("job");
    const objectName = objectNames.modelOriginal(actor.orgId, modelId);
    const store = await openModelStore(nc);
    await putObjectFromFile(store, objectName, path, sha256, {
      orgId: actor.orgId,
      modelId,
      fileName: opts.fileName,
    });

    let job: Awaited<ReturnType<typeof createJob>>;
    try {
      job = await db.transaction(async (tx) => {
        await createModel(tx, {
          id: modelId,
          orgId: actor.orgId,
          name: opts.name,
          fileName: opts.fileName,
          objectName,
          sha256,
          sizeBytes,
          inspection,
          createdBy: actor.userId,
        });
        await createVariant(tx, {
          orgId: actor.orgId,
          modelId,
          name: "fp32",
          passes: [],
          status: "ready",
          objectName,
          sha256,
          sizeBytes,
          metrics: { params: inspection.params },
        });
        const created = await createJob(tx, {
          id: jobId,
          orgId: actor.orgId,
          modelId,
          recipe: DEFAULT_RECIPE,
          createdBy: actor.userId,
        });
        await writeAudit(tx, {
          orgId: actor.orgId,
          actorUserId: actor.userId,
          action: "model.upload",
          targetType: "model",
          targetId: modelId,
          details: { name: opts.name, fileName: opts.fileName, sha256, sizeBytes, jobId },
        });
        return created;
      });
    } catch (err) {
      await store.delete(objectName).catch((cause: unknown) => {
        console.error(
          JSON.stringify({
            level: "error",
            component: "web",
            msg: "orphaned upload object",
            objectName,
            cause: String(cause),
          }),
        );
      });
      throw err;
    }

    const jobQueued = await queueOptimizationJob({ db, nc, job });
    return { modelId, jobId, sha256, sizeBytes, jobQueued };
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

/** Streams `body` into `path`, hashing and counting; aborts as soon as the count passes `maxBytes`. */
export async function receiveToFile(
  body: ReadableStream<Uint8Array> | AsyncIterable<Uint8Array>,
  path: string,
  maxBytes: number,
  declaredLength: number | null,
  emptyMessage = "The uploaded file is empty (0 bytes); choose an .onnx model file.",
): Promise<{ sha256: string; sizeBytes: number }> {
  const hash = createHash("sha256");
  let received = 0;
  const meter = new Transform({
    transform(chunk: Buffer, _encoding, callback) {
      received += chunk.length;
      if (received > maxBytes) {
        callback(tooLarge("The upload is larger than the limit", maxBytes));
        return;
      }
      hash.update(chunk);
      callback(null, chunk);
    },
  });
  const source =
    body instanceof ReadableStream
      ? Readable.fromWeb(body as unknown as NodeWebReadableStream<Uint8Array>)
      : Readable.from(body);
  try {
    await pipeline(source, meter, createWriteStream(path, { mode: 0o600 }));
  } catch (err) {
    if (err instanceof ServiceError) throw err;
    throw new ServiceError(
      "BAD_REQUEST",
      `The upload was interrupted after ${formatBytes(received)}; check the connection and upload the file again.`,
      { cause: err },
    );
  }
  if (declaredLength !== null && received !== declaredLength) {
    throw new ServiceError(
      "BAD_REQUEST",
      `The upload ended after ${formatBytes(received)} of the announced ${formatBytes(declaredLength)}; upload the file again.`,
    );
  }
  if (received === 0) throw new ServiceError("MODEL_INVALID", emptyMessage);
  return { sha256: hash.digest("hex"), sizeBytes: received };
}

function inspect(bytes: Uint8Array): ModelSummary {
  try {
    const model = parseModel(bytes);
    assertValidModel(model);
    return inspectModel(model, { sizeBytes: bytes.byteLength });
  } catch (err) {
    if (isEngineError(err)) throw new ServiceError("MODEL_INVALID", err.message, { cause: err });
    throw err;
  }
}

/** The engine's summary in the shape the models table stores. */
function toInspection(summary: ModelSummary): ModelInspection {
  const tensor = (t: ModelSummary["inputs"][number]) => ({
    name: t.name,
    elemType: t.elemType,
    shape: t.shape ?? [],
  });
  return {
    irVersion: summary.irVersion,
    opsets: Object.fromEntries(summary.opsets.map((o) => [o.domain, o.version])),
    producer: [summary.producer.name, summary.producer.version].filter(Boolean).join(" "),
    inputs: summary.inputs.map(tensor),
    outputs: summary.outputs.map(tensor),
    opHistogram: summary.opHistogram,
    nodeCount: summary.nodeCount,
    params: summary.params,
    // MACs are only meaningful when every compute node's shapes were resolved.
    macs: summary.macsUnknownNodes === 0 ? summary.macs : null,
  };
}

function tooLarge(what: string, maxBytes: number): ServiceError {
  return new ServiceError(
    "PAYLOAD_TOO_LARGE",
    `${what}; the limit is ${formatBytes(maxBytes)}. Upload a smaller model, or ask the operator to raise EDGEWATT_MAX_UPLOAD_BYTES.`,
  );
}
