/**
 * Optimization from the portal (real Postgres + nats-server): jobs with their own settings, cancel and retry with
 * roles and tenant isolation, the live progress stream, and the ladder's Pareto fronts.
 */
import { readFile } from "node:fs/promises";
import { Readable } from "node:stream";
import {
  appendJobStep,
  findAudit,
  finishJob,
  getJob,
  getModel,
  markJobRunning,
  type Variant,
} from "@edgewatt/db";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { Actor } from "../src/server/services/actor";
import { createLadderView } from "../src/server/services/models/ladder-view";
import { uploadModel } from "../src/server/services/models/upload-model";
import { removeModelData, uploadModelData } from "../src/server/services/models/upload-model-data";
import { type JobUpdate, watchJob } from "../src/server/services/models/watch-job";
import { addMember, callerFor, createOrg, type Infra, MODEL_PATH, startInfra, trpcFailure } from "./helpers";

describe("optimization jobs from the portal", () => {
  let infra: Infra;
  let owner: Actor;
  let other: Actor;
  let modelId: string;

  const caller = (actor: Actor) => callerFor(infra, actor);
  const failure = trpcFailure;

  beforeAll(async () => {
    infra = await startInfra();
    owner = await createOrg(infra.db, "Optimizers");
    other = await createOrg(infra.db, "Others");
    const bytes = await readFile(MODEL_PATH);
    const uploaded = await uploadModel({
      db: infra.db,
      nc: infra.nc,
      actor: owner,
      name: "autoencoder",
      fileName: "nab-conv-autoencoder.onnx",
      body: Readable.from([bytes]),
      contentLength: bytes.length,
      maxBytes: 10 * 1024 * 1024,
    });
    modelId = uploaded.modelId;
  });
  afterAll(async () => {
    await infra?.stop();
  });

  it("starts a job with its own settings, and refuses settings out of range with the reason", async () => {
    const { job } = await caller(owner).models.startOptimization({
      modelId,
      recipe: ["accuracy-aware", "quantize-static-int8"],
      settings: { goal: { maxAccuracyDrop: 1.5 }, calibration: "entropy" },
    });
    expect((await getJob(infra.db, owner.orgId, job.id)).settings).toEqual({
      goal: { maxAccuracyDrop: 1.5 },
      calibration: "entropy",
    });
    const bad = await failure(
      caller(owner).models.startOptimization({
        modelId,
        recipe: ["auto"],
        settings: { goal: { maxFidelityLoss: 3 } },
      }),
    );
    expect(bad.code).toBe("BAD_REQUEST");
    const unknown = await failure(
      caller(owner).models.startOptimization({ modelId, recipe: ["make-it-small"] }),
    );
    expect(unknown.message).toMatch(/Unknown optimization pass\(es\): make-it-small\. Known passes: auto/);
    const passes = await caller(owner).models.passes();
    expect(passes.passes.map((p) => p.name)).toContain("quantize-static-int8");
    expect(passes.calibrationMethods).toEqual(["minmax", "percentile", "entropy"]);
  });

  it("cancels a queued job (audited) once; viewers and other orgs cannot", async () => {
    const { job } = await caller(owner).models.startOptimization({ modelId, recipe: ["fp16"] });
    const viewer = await addMember(infra.db, owner.orgId, "viewer");
    expect((await failure(caller(viewer).models.cancelJob({ jobId: job.id }))).code).toBe("FORBIDDEN");
    expect((await failure(caller(other).models.cancelJob({ jobId: job.id }))).code).toBe("NOT_FOUND");
    const cancelled = await caller(owner).models.cancelJob({ jobId: job.id });
    expect(cancelled).toMatchObject({ status: "cancelled" });
    const again = await failure(caller(owner).models.cancelJob({ jobId: job.id }));
    expect(again.code).toBe("CONFLICT");
    expect(again.message).toMatch(/already finished/);
    const audit = await findAudit(infra.db, owner.orgId, { action: "job.cancel" });
    expect(audit.map((a) => a.targetId)).toEqual([job.id]);
  });

  it("retries a failed or cancelled job with the same recipe and settings, not a running one", async () => {
    const { job } = await caller(owner).models.startOptimization({
      modelId,
      recipe: ["quantize-static-int8"],
      settings: { calibration: "percentile" },
    });
    await caller(owner).models.cancelJob({ jobId: job.id });
    const retried = await caller(owner).models.retryJob({ jobId: job.id });
    expect(retried.job.id).not.toBe(job.id);
    expect(retried.job).toMatchObject({
      recipe: ["quantize-static-int8"],
      settings: { calibration: "percentile" },
    });
    expect(retried.queued).toBe(true);
    const running = await failure(caller(owner).models.retryJob({ jobId: retried.job.id }));
    expect(running.code).toBe("CONFLICT");
    expect((await failure(caller(other).models.retryJob({ jobId: job.id }))).code).toBe("NOT_FOUND");
  });

  it("streams a job's progress: the whole job first, then only new steps, ending when it finishes", async () => {
    const { job } = await caller(owner).models.startOptimization({ modelId, recipe: ["fp16"] });
    const updates: JobUpdate[] = [];
    const watching = (async () => {
      for await (const u of watchJob({ db: infra.db, actor: owner, jobId: job.id, pollMs: 20 }))
        updates.push(u);
    })();
    await markJobRunning(infra.db, job.id);
    await appendJobStep(infra.db, job.id, { step: "fp16:fp16", status: "started", ts: 1 }, 0.3);
    await new Promise((r) => setTimeout(r, 100));
    await appendJobStep(infra.db, job.id, { step: "fp16:fp16", status: "done", ts: 2 }, 0.8);
    await new Promise((r) => setTimeout(r, 100));
    await finishJob(infra.db, job.id, "succeeded");
    await watching;
    expect(updates[0]).toMatchObject({ id: job.id, steps: [] });
    expect(updates.at(-1)).toMatchObject({ status: "succeeded", fraction: 100 });
    // Every step arrives exactly once, in order.
    expect(updates.flatMap((u) => u.steps.map((s) => s.status))).toEqual(["started", "done"]);
    // Another org's job is not there to watch.
    await expect(watchJob({ db: infra.db, actor: other, jobId: job.id }).next()).rejects.toThrow(
      /does not exist/,
    );
  });
});

describe("calibration and evaluation data for a model", () => {
  let infra: Infra;
  let owner: Actor;
  let modelId: string;
  const SHARED = process.env.EDGEWATT_SHARED_DIR ?? new URL("../../../../shared", import.meta.url).pathname;

  beforeAll(async () => {
    infra = await startInfra();
    owner = await createOrg(infra.db, "Data");
    const bytes = await readFile(MODEL_PATH);
    modelId = (
      await uploadModel({
        db: infra.db,
        nc: infra.nc,
        actor: owner,
        name: "autoencoder",
        fileName: "nab-conv-autoencoder.onnx",
        body: Readable.from([bytes]),
        contentLength: bytes.length,
        maxBytes: 10 * 1024 * 1024,
      })
    ).modelId;
  });
  afterAll(async () => {
    await infra?.stop();
  });

  const upload = async (
    bytes: Uint8Array,
    actor = owner,
    kind: "calibration" | "evaluation" = "calibration",
  ) =>
    uploadModelData({
      db: infra.db,
      nc: infra.nc,
      actor,
      modelId,
      kind,
      fileName: "data.npz",
      body: Readable.from([Buffer.from(bytes)]),
      contentLength: bytes.byteLength,
      maxBytes: 10 * 1024 * 1024,
    });

  /** A minimal .npz (stored zip) of float32 arrays. */
  const npz = (arrays: Record<string, { shape: number[] }>) => {
    const files = Object.entries(arrays).map(([name, { shape }]) => {
      const header = `{'descr': '<f4', 'fortran_order': False, 'shape': (${shape.join(", ")}${shape.length === 1 ? "," : ""}), }`;
      const padded = `${header.padEnd(Math.ceil((10 + header.length + 1) / 64) * 64 - 10 - 1, " ")}\n`;
      const head = Buffer.alloc(10);
      head.write("\x93NUMPY", 0, "latin1");
      head[6] = 1;
      head[7] = 0;
      head.writeUInt16LE(padded.length, 8);
      const data = Buffer.alloc(4 * shape.reduce((a, b) => a * b, 1));
      return { name: `${name}.npy`, bytes: Buffer.concat([head, Buffer.from(padded, "latin1"), data]) };
    });
    return zipStored(files);
  };

  it("stores a matching .npz with its summary, audited, and removes it", async () => {
    const bytes = new Uint8Array(await readFile(`${SHARED}/datasets/npz/nab-windows-calib-256.npz`));
    const dataset = await upload(bytes);
    expect(dataset).toMatchObject({
      samples: 256,
      arrays: [{ name: "window", dtype: "float32", shape: [256, 1, 64] }],
      hasLabels: false,
      objectName: expect.stringContaining("data-calibration.npz"),
    });
    const model = await getModel(infra.db, owner.orgId, modelId);
    expect(model.datasets.calibration?.sha256).toBe(dataset.sha256);
    expect((await findAudit(infra.db, owner.orgId, { action: "model.data.calibration" })).length).toBe(1);
    await removeModelData({ db: infra.db, nc: infra.nc, actor: owner, modelId, kind: "calibration" });
    expect((await getModel(infra.db, owner.orgId, modelId)).datasets).toEqual({});
  });

  it("refuses data that does not fit the model, saying how to fix it, and keeps nothing", async () => {
    await expect(upload(new TextEncoder().encode("not a zip"))).rejects.toThrow(
      /not a readable NumPy .npz file/,
    );
    await expect(upload(npz({ x: { shape: [4, 1, 64] } }))).rejects.toThrow(
      /no array for the model input "window" \(it has "x"\)/,
    );
    await expect(upload(npz({ window: { shape: [4, 2, 64] } }))).rejects.toThrow(/has 2 in dimension 1/);
    await expect(upload(npz({ window: { shape: [4, 1, 64] }, labels: { shape: [3] } }))).rejects.toThrow(
      /"labels" has 3 rows for 4 samples/,
    );
    await expect(upload(npz({ window: { shape: [4, 1, 64] }, extra: { shape: [4] } }))).rejects.toThrow(
      /arrays the model does not take: "extra"/,
    );
    expect((await getModel(infra.db, owner.orgId, modelId)).datasets).toEqual({});
    const ok = await upload(
      npz({ window: { shape: [4, 1, 64] }, labels: { shape: [4] } }),
      owner,
      "evaluation",
    );
    expect(ok).toMatchObject({ samples: 4, hasLabels: true });
  });

  it("viewers and other orgs cannot upload", async () => {
    const viewer = await addMember(infra.db, owner.orgId, "viewer");
    await expect(upload(npz({ window: { shape: [1, 1, 64] } }), viewer)).rejects.toThrow(/viewer/);
    const stranger = await createOrg(infra.db, "Strangers");
    await expect(upload(npz({ window: { shape: [1, 1, 64] } }), stranger)).rejects.toThrow(/does not exist/);
  });
});

/** A zip with stored (uncompressed) members, enough for .npz. */
function zipStored(files: Array<{ name: string; bytes: Buffer }>): Uint8Array {
  const crcTable = Array.from({ length: 256 }, (_, n) => {
    let c = n;
    for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
    return c >>> 0;
  });
  const crc32 = (b: Buffer) => {
    let c = 0xffffffff;
    for (const x of b) c = (crcTable[(c ^ x) & 0xff] as number) ^ (c >>> 8);
    return (c ^ 0xffffffff) >>> 0;
  };
  const locals: Buffer[] = [];
  const centrals: Buffer[] = [];
  let offset = 0;
  for (const f of files) {
    const name = Buffer.from(f.name);
    const crc = crc32(f.bytes);
    const local = Buffer.alloc(30);
    local.writeUInt32LE(0x04034b50, 0);
    local.writeUInt16LE(20, 4);
    local.writeUInt32LE(crc, 14);
    local.writeUInt32LE(f.bytes.length, 18);
    local.writeUInt32LE(f.bytes.length, 22);
    local.writeUInt16LE(name.length, 26);
    const central = Buffer.alloc(46);
    central.writeUInt32LE(0x02014b50, 0);
    central.writeUInt16LE(20, 4);
    central.writeUInt16LE(20, 6);
    central.writeUInt32LE(crc, 16);
    central.writeUInt32LE(f.bytes.length, 20);
    central.writeUInt32LE(f.bytes.length, 24);
    central.writeUInt16LE(name.length, 28);
    central.writeUInt32LE(offset, 42);
    locals.push(local, name, f.bytes);
    centrals.push(central, name);
    offset += 30 + name.length + f.bytes.length;
  }
  const centralDir = Buffer.concat(centrals);
  const end = Buffer.alloc(22);
  end.writeUInt32LE(0x06054b50, 0);
  end.writeUInt16LE(files.length, 8);
  end.writeUInt16LE(files.length, 10);
  end.writeUInt32LE(centralDir.length, 12);
  end.writeUInt32LE(offset, 16);
  return new Uint8Array(Buffer.concat([...locals, centralDir, end]));
}

describe("the ladder view", () => {
  const variant = (
    name: string,
    over: Partial<Variant> & { cos?: number; mj?: number; ms?: number },
  ): Variant =>
    ({
      id: `var_${name}`,
      name,
      passes: name === "fp32" ? [] : [name],
      status: "ready",
      sizeBytes: 1000,
      metrics: {
        ...(over.cos !== undefined ? { fidelity: { cosine: over.cos, maxAbsError: 0.1, samples: 64 } } : {}),
        inputs: "synthetic inputs",
        figures: {
          ...(over.mj !== undefined
            ? {
                energyJPerInference_t1: {
                  value: over.mj / 1000,
                  unit: "J",
                  method: "modelled: CPU time × profile",
                },
              }
            : {}),
          ...(over.ms !== undefined
            ? { latencyP50Ms_t1: { value: over.ms, unit: "ms", method: "p50 of 100 runs, 1 thread" } }
            : {}),
        },
      },
      ...over,
    }) as unknown as Variant;

  it("marks the variants nothing else beats on both quality and cost, per cost axis, with each figure's method", () => {
    const ladder = createLadderView([
      variant("fp32", { mj: 10, ms: 2 }),
      variant("int8-dynamic", { cos: 0.999, mj: 6, ms: 3 }),
      variant("int8-static", { cos: 0.99, mj: 7, ms: 1.5 }),
      variant("int4", { cos: 0.95, mj: 5, ms: 4 }),
      variant("broken", { cos: 0.5, mj: 1, ms: 1, status: "failed" }),
    ]);
    const front = (axis: "energy" | "latency") => ladder.filter((p) => p.front[axis]).map((p) => p.name);
    expect(front("energy")).toEqual(["fp32", "int8-dynamic", "int4"]);
    expect(front("latency")).toEqual(["fp32", "int8-static"]);
    expect(ladder[0]?.quality).toMatchObject({ value: 1, kind: "fidelity" });
    expect(ladder[1]?.quality?.method).toMatch(/cosine similarity .* 64 samples of synthetic inputs/);
    expect(ladder[1]?.energyJ).toEqual({ value: 0.006, unit: "J", method: "modelled: CPU time × profile" });
    // A failed variant is never on a front.
    expect(ladder[4]?.front).toEqual({ energy: false, latency: false });
  });
});
