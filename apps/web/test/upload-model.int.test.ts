import { createHash } from "node:crypto";
import { createReadStream } from "node:fs";
import { mkdtemp, readdir, readFile, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Readable } from "node:stream";
import { findAudit, findJobsByModel, findModelsByOrg, findVariantsByModel } from "@edgewatt/db";
import { openModelStore } from "@edgewatt/nats";
import { decode, objectNames, STREAMS, subjects, ZJobRequest } from "@edgewatt/protocol";
import { jetstreamManager } from "@nats-io/jetstream";
import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { httpStatusFor } from "../src/server/error-mapping";
import { ServiceError } from "../src/server/errors";
import type { Actor } from "../src/server/services/actor";
import {
  DEFAULT_RECIPE,
  type UploadModelOptions,
  uploadModel,
} from "../src/server/services/models/upload-model";
import { addMember, createOrg, type Infra, MODEL_PATH, startInfra } from "./helpers";

const LIMIT = 1024 * 1024;

describe("uploadModel (real Postgres + nats-server)", () => {
  let infra: Infra;
  let actor: Actor;
  let modelBytes: Buffer;
  let tmpRoot: string;

  beforeAll(async () => {
    infra = await startInfra();
    actor = await createOrg(infra.db);
    modelBytes = await readFile(MODEL_PATH);
  });
  afterAll(async () => {
    await infra?.stop();
  });
  beforeEach(async () => {
    tmpRoot = await mkdtemp(join(tmpdir(), "ew-upload-test-"));
    return async () => {
      // Whatever happened, the service leaves no temp files behind.
      expect(await readdir(tmpRoot)).toEqual([]);
      await rm(tmpRoot, { recursive: true, force: true });
    };
  });

  function options(
    overrides: Partial<UploadModelOptions> & Pick<UploadModelOptions, "body">,
  ): UploadModelOptions {
    return {
      db: infra.db,
      nc: infra.nc,
      actor,
      name: "autoencoder",
      fileName: "nab-conv-autoencoder.onnx",
      contentLength: null,
      maxBytes: LIMIT,
      tmpRoot,
      ...overrides,
    };
  }

  async function storedObjects(orgId: string): Promise<string[]> {
    const store = await openModelStore(infra.nc);
    const infos = await store.list();
    return infos.filter((i) => !i.deleted && i.name.startsWith(`${orgId}/`)).map((i) => i.name);
  }

  async function expectNothingStored(orgId: string): Promise<void> {
    expect(await findModelsByOrg(infra.db, orgId)).toEqual([]);
    expect(await storedObjects(orgId)).toEqual([]);
    expect(await findAudit(infra.db, orgId, { action: "model.upload" })).toEqual([]);
  }

  async function rejection(promise: Promise<unknown>): Promise<ServiceError> {
    const err = await promise.then(
      () => {
        throw new Error("expected the upload to be rejected");
      },
      (e: unknown) => e,
    );
    expect(err).toBeInstanceOf(ServiceError);
    return err as ServiceError;
  }

  it("stores a valid ONNX model with its sha256, writes the rows and publishes the job", async () => {
    const sha256 = createHash("sha256").update(modelBytes).digest("hex");
    const body = Readable.toWeb(createReadStream(MODEL_PATH)) as unknown as ReadableStream<Uint8Array>;
    const result = await uploadModel(options({ body, contentLength: modelBytes.length }));

    expect(result).toMatchObject({ sha256, sizeBytes: modelBytes.length, jobQueued: true });
    const [model] = await findModelsByOrg(infra.db, actor.orgId);
    expect(model).toMatchObject({
      id: result.modelId,
      name: "autoencoder",
      fileName: "nab-conv-autoencoder.onnx",
      sha256,
      sizeBytes: modelBytes.length,
      objectName: objectNames.modelOriginal(actor.orgId, result.modelId),
      createdBy: actor.userId,
    });
    expect(model!.inspection.inputs).toEqual([
      { name: "window", elemType: "float32", shape: expect.any(Array) },
    ]);
    expect(model!.inspection.inputs[0]!.shape.slice(1)).toEqual([1, 64]);
    expect(model!.inspection.outputs[0]).toMatchObject({ name: "reconstruction", elemType: "float32" });
    expect(model!.inspection.opHistogram).toMatchObject({ Conv: 3, ConvTranspose: 3 });
    expect(model!.inspection.params).toBeGreaterThan(1000);
    expect(model!.inspection.macs).toBeGreaterThan(0);

    const variants = await findVariantsByModel(infra.db, actor.orgId, result.modelId);
    expect(variants).toHaveLength(1);
    expect(variants[0]).toMatchObject({
      name: "fp32",
      status: "ready",
      passes: [],
      sha256,
      sizeBytes: modelBytes.length,
      objectName: model!.objectName,
    });

    const jobs = await findJobsByModel(infra.db, actor.orgId, result.modelId);
    expect(jobs).toHaveLength(1);
    expect(jobs[0]).toMatchObject({ id: result.jobId, status: "queued", recipe: DEFAULT_RECIPE });

    const audit = await findAudit(infra.db, actor.orgId, { action: "model.upload" });
    expect(audit).toHaveLength(1);
    expect(audit[0]).toMatchObject({ actorUserId: actor.userId, targetId: result.modelId });

    // The original is in the object store, byte for byte, with its sha256 in the metadata.
    const store = await openModelStore(infra.nc);
    const info = await store.info(model!.objectName);
    expect(info?.metadata?.sha256).toBe(sha256);
    expect(info?.size).toBe(modelBytes.length);
    const stored = await store.getBlob(model!.objectName);
    expect(Buffer.from(stored!).equals(modelBytes)).toBe(true);

    // The job request is on the JOBS work queue, deduplicated by job id.
    const jsm = await jetstreamManager(infra.nc);
    const msg = await jsm.streams.getMessage(STREAMS.jobs, { last_by_subj: subjects.jobRequest("optimize") });
    expect(msg?.header.get("Nats-Msg-Id")).toBe(result.jobId);
    const decoded = decode(ZJobRequest, msg!.data);
    expect(decoded.ok && decoded.value).toEqual({
      jobId: result.jobId,
      orgId: actor.orgId,
      kind: "optimize",
      modelId: result.modelId,
      recipe: DEFAULT_RECIPE,
    });
  });

  it("rejects a PNG with a message that says it is not ONNX, and stores nothing", async () => {
    const org = await createOrg(infra.db, "Png");
    const png = Buffer.concat([
      Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]),
      Buffer.alloc(200, 7),
    ]);
    const err = await rejection(
      uploadModel(options({ actor: org, body: Readable.from([png]), contentLength: png.length })),
    );
    expect(err.code).toBe("MODEL_INVALID");
    expect(httpStatusFor(err.code)).toBe(422);
    expect(err.message).toMatch(/not an ONNX model.*PNG/i);
    expect(err.message).toMatch(/torch\.onnx\.export/);
    await expectNothingStored(org.orgId);
  });

  it("rejects a text file, and stores nothing", async () => {
    const org = await createOrg(infra.db, "Text");
    const text = Buffer.from("this is a README, not a model\n".repeat(20));
    const err = await rejection(
      uploadModel(options({ actor: org, body: Readable.from([text]), contentLength: null })),
    );
    expect(err.code).toBe("MODEL_INVALID");
    expect(err.message).toMatch(/not an ONNX model/);
    await expectNothingStored(org.orgId);
  });

  it("rejects a truncated ONNX file, and stores nothing", async () => {
    const org = await createOrg(infra.db, "Truncated");
    const half = modelBytes.subarray(0, Math.floor(modelBytes.length / 2));
    const err = await rejection(
      uploadModel(options({ actor: org, body: Readable.from([half]), contentLength: half.length })),
    );
    expect(err.code).toBe("MODEL_INVALID");
    expect(err.message).toMatch(/truncated|not a complete/i);
    await expectNothingStored(org.orgId);
  });

  it("rejects an empty body", async () => {
    const org = await createOrg(infra.db, "Empty");
    const err = await rejection(
      uploadModel(options({ actor: org, body: Readable.from([]), contentLength: 0 })),
    );
    expect(err.code).toBe("MODEL_INVALID");
    expect(err.message).toMatch(/empty/);
    await expectNothingStored(org.orgId);
  });

  it("rejects an upload whose Content-Length is over the limit without reading it", async () => {
    const org = await createOrg(infra.db, "Big");
    let pulled = false;
    const body = new ReadableStream<Uint8Array>(
      {
        pull() {
          pulled = true;
        },
      },
      { highWaterMark: 0 },
    );
    const err = await rejection(uploadModel(options({ actor: org, body, contentLength: LIMIT + 1 })));
    expect(err.code).toBe("PAYLOAD_TOO_LARGE");
    expect(httpStatusFor(err.code)).toBe(413);
    expect(err.message).toMatch(/limit is 1\.0 MiB.*EDGEWATT_MAX_UPLOAD_BYTES/);
    expect(pulled).toBe(false);
    await expectNothingStored(org.orgId);
  });

  it("aborts a stream that grows past the limit without announcing its length", async () => {
    const org = await createOrg(infra.db, "Stream");
    let sent = 0;
    async function* endless() {
      for (;;) {
        sent += 64 * 1024;
        yield Buffer.alloc(64 * 1024, 1);
      }
    }
    const err = await rejection(uploadModel(options({ actor: org, body: endless(), contentLength: null })));
    expect(err.code).toBe("PAYLOAD_TOO_LARGE");
    expect(err.message).toMatch(/larger than the limit/);
    // It stopped reading shortly after the limit, not at the end of an endless stream.
    expect(sent).toBeLessThan(LIMIT + 10 * 64 * 1024);
    await expectNothingStored(org.orgId);
  });

  it("rejects a body shorter than its announced Content-Length", async () => {
    const org = await createOrg(infra.db, "Short");
    const err = await rejection(
      uploadModel(
        options({ actor: org, body: Readable.from([modelBytes]), contentLength: modelBytes.length + 10 }),
      ),
    );
    expect(err.code).toBe("BAD_REQUEST");
    expect(err.message).toMatch(/upload the file again/);
    await expectNothingStored(org.orgId);
  });

  it("deletes the stored object again when the database write fails", async () => {
    // An org id that is not in the database: the model row's foreign key refuses the insert.
    const ghost: Actor = { userId: actor.userId, orgId: "org_doesnotexist0000000", role: "owner" };
    await expect(uploadModel(options({ actor: ghost, body: Readable.from([modelBytes]) }))).rejects.toThrow();
    expect(await storedObjects(ghost.orgId)).toEqual([]);
    expect(await findModelsByOrg(infra.db, ghost.orgId)).toEqual([]);
  });

  it("does not let a viewer upload", async () => {
    const viewer = await addMember(infra.db, actor.orgId, "viewer");
    const before = await findModelsByOrg(infra.db, actor.orgId);
    const err = await rejection(uploadModel(options({ actor: viewer, body: Readable.from([modelBytes]) })));
    expect(err.code).toBe("FORBIDDEN");
    expect(await findModelsByOrg(infra.db, actor.orgId)).toHaveLength(before.length);
  });
});
