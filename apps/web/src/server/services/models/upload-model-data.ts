/**
 * Calibration or evaluation data for a model: a NumPy `.npz` with one array per model input, named after it, and
 * an optional `labels` array. Checked against the model's inputs on arrival (names, per-sample shape, one sample
 * count), stored in the object store beside the model, and used by the next optimization jobs instead of
 * synthetic inputs (their figures then say which data they were measured on).
 */
import { mkdtemp, readFile, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { type Db, getModel, type Model, setModelDataset, writeAudit } from "@edgewatt/db";
import type { ModelDataset } from "@edgewatt/db/schema";
import { isEngineError, type NpyArray, parseNpz } from "@edgewatt/engine";
import { type NatsConnection, openModelStore, putObjectFromFile } from "@edgewatt/nats";
import { objectNames } from "@edgewatt/protocol";
import { ServiceError } from "../../errors";
import { type Actor, requireWriter } from "../actor";
import { rethrowNotFound } from "../not-found";
import { receiveToFile } from "./upload-model";

export const DATASET_KINDS = ["calibration", "evaluation"] as const;
export type DatasetKind = (typeof DATASET_KINDS)[number];

export interface UploadModelDataOptions {
  db: Db;
  nc: NatsConnection;
  actor: Actor;
  modelId: string;
  kind: DatasetKind;
  fileName: string;
  body: ReadableStream<Uint8Array> | AsyncIterable<Uint8Array> | null;
  contentLength: number | null;
  maxBytes: number;
  tmpRoot?: string;
}

export async function uploadModelData(opts: UploadModelDataOptions): Promise<ModelDataset> {
  const { db, nc, actor } = opts;
  requireWriter(actor, "upload model data");
  const model = await getModel(db, actor.orgId, opts.modelId).catch(
    rethrowNotFound(`Model ${opts.modelId} does not exist in your organization; pick one from Models.`),
  );
  if (!opts.body) {
    throw new ServiceError(
      "BAD_REQUEST",
      "The request has no body: send the .npz file itself as the request body.",
    );
  }
  if (opts.contentLength !== null && opts.contentLength > opts.maxBytes) {
    throw new ServiceError(
      "PAYLOAD_TOO_LARGE",
      `The file is larger than the limit of ${opts.maxBytes} bytes; upload fewer samples.`,
    );
  }
  const dir = await mkdtemp(join(opts.tmpRoot ?? tmpdir(), "ew-data-"));
  try {
    const path = join(dir, "data.npz");
    const { sha256, sizeBytes } = await receiveToFile(
      opts.body,
      path,
      opts.maxBytes,
      opts.contentLength,
      "The uploaded file is empty (0 bytes); choose a NumPy .npz file.",
    );
    const arrays = readArrays(new Uint8Array(await readFile(path)));
    const samples = checkAgainstModel(model, arrays);
    const objectName = objectNames.modelData(actor.orgId, model.id, opts.kind);
    const store = await openModelStore(nc);
    await putObjectFromFile(store, objectName, path, sha256, {
      orgId: actor.orgId,
      modelId: model.id,
      fileName: opts.fileName,
    });
    const dataset: ModelDataset = {
      objectName,
      sha256,
      sizeBytes,
      fileName: opts.fileName,
      samples,
      arrays: [...arrays.values()].map((a) => ({ name: a.name, dtype: a.dtype, shape: a.shape })),
      hasLabels: arrays.has("labels"),
      uploadedAt: new Date().toISOString(),
    };
    await db.transaction(async (tx) => {
      await setModelDataset(tx, actor.orgId, model.id, opts.kind, dataset);
      await writeAudit(tx, {
        orgId: actor.orgId,
        actorUserId: actor.userId,
        action: `model.data.${opts.kind}`,
        targetType: "model",
        targetId: model.id,
        details: { fileName: opts.fileName, sha256, sizeBytes, samples, hasLabels: dataset.hasLabels },
      });
    });
    return dataset;
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

/** Removes one of the model's datasets (the object too); jobs go back to synthetic inputs for it. */
export async function removeModelData(opts: {
  db: Db;
  nc: NatsConnection;
  actor: Actor;
  modelId: string;
  kind: DatasetKind;
}): Promise<Model> {
  const { db, actor } = opts;
  requireWriter(actor, "remove model data");
  const model = await getModel(db, actor.orgId, opts.modelId).catch(
    rethrowNotFound(`Model ${opts.modelId} does not exist in your organization; pick one from Models.`),
  );
  const existing = model.datasets[opts.kind];
  if (!existing) throw new ServiceError("NOT_FOUND", `This model has no ${opts.kind} data to remove.`);
  const updated = await db.transaction(async (tx) => {
    const row = await setModelDataset(tx, actor.orgId, model.id, opts.kind, null);
    await writeAudit(tx, {
      orgId: actor.orgId,
      actorUserId: actor.userId,
      action: `model.data.${opts.kind}.remove`,
      targetType: "model",
      targetId: model.id,
      details: { fileName: existing.fileName },
    });
    return row;
  });
  const store = await openModelStore(opts.nc);
  await store.delete(existing.objectName).catch(() => undefined);
  return updated;
}

function readArrays(bytes: Uint8Array): Map<string, NpyArray> {
  let arrays: Map<string, NpyArray>;
  try {
    arrays = parseNpz(bytes);
  } catch (err) {
    if (isEngineError(err)) {
      throw new ServiceError(
        "BAD_REQUEST",
        `This is not a readable NumPy .npz file (${err.message}); save it with numpy.savez(path, <input name>=array, labels=array).`,
        { cause: err },
      );
    }
    throw err;
  }
  if (arrays.size === 0) {
    throw new ServiceError(
      "BAD_REQUEST",
      "The file holds no arrays (is it a .zip of something else?); save it with numpy.savez(path, <input name>=array).",
    );
  }
  return arrays;
}

/** Every model input present with its per-sample shape, one sample count for all; returns the sample count. */
function checkAgainstModel(model: Model, arrays: Map<string, NpyArray>): number {
  const inputs = model.inspection.inputs;
  const missing = inputs.filter((i) => !arrays.has(i.name)).map((i) => `"${i.name}"`);
  if (missing.length > 0) {
    const have = [...arrays.keys()].map((k) => `"${k}"`).join(", ");
    throw new ServiceError(
      "BAD_REQUEST",
      `The file has no array for the model input${missing.length > 1 ? "s" : ""} ${missing.join(", ")} (it has ${have}); name each array after a model input.`,
    );
  }
  const extra = [...arrays.keys()].filter((k) => k !== "labels" && !inputs.some((i) => i.name === k));
  if (extra.length > 0) {
    throw new ServiceError(
      "BAD_REQUEST",
      `The file has arrays the model does not take: ${extra.map((k) => `"${k}"`).join(", ")}; keep only the inputs (${inputs.map((i) => `"${i.name}"`).join(", ")}) and optionally "labels".`,
    );
  }
  let samples: number | null = null;
  for (const input of inputs) {
    const array = arrays.get(input.name) as NpyArray;
    const spec = input.shape;
    if (array.shape.length !== spec.length) {
      throw new ServiceError(
        "BAD_REQUEST",
        `Array "${input.name}" has shape [${array.shape.join(", ")}]; the model input is [${spec.join(", ")}] (the first dimension is the sample).`,
      );
    }
    for (let axis = 1; axis < spec.length; axis++) {
      const want = spec[axis];
      if (typeof want === "number" && want > 0 && array.shape[axis] !== want) {
        throw new ServiceError(
          "BAD_REQUEST",
          `Array "${input.name}" has ${array.shape[axis]} in dimension ${axis}; the model input is [${spec.join(", ")}].`,
        );
      }
    }
    const n = array.shape[0] ?? 0;
    if (samples !== null && n !== samples) {
      throw new ServiceError(
        "BAD_REQUEST",
        `The arrays hold different sample counts (${samples} and ${n} in "${input.name}"); every array needs one row per sample.`,
      );
    }
    samples = n;
  }
  const labels = arrays.get("labels");
  if (labels && labels.shape[0] !== samples) {
    throw new ServiceError(
      "BAD_REQUEST",
      `"labels" has ${labels.shape[0]} rows for ${samples} samples; give one label per sample.`,
    );
  }
  if (!samples) throw new ServiceError("BAD_REQUEST", "The arrays hold no samples.");
  return samples;
}
