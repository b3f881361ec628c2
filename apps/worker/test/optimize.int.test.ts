import { createHash, randomBytes } from "node:crypto";
import { readFile } from "node:fs/promises";
import { resolve } from "node:path";
import {
  cancelJob,
  createDb,
  createJob,
  createModel,
  findVariantByName,
  findVariantsByModel,
  getJob,
  type Job,
  newId,
  setModelDataset,
  upsertVariant,
  type Variant,
} from "@edgewatt/db";
import { findPass, inspectModel, LADDER, parseModel } from "@edgewatt/engine";
import { openModelStore, putObjectBytes } from "@edgewatt/nats";
import {
  decode,
  encode,
  type JobProgress,
  objectNames,
  subjects,
  ZJobProgress,
  ZJobRequest,
} from "@edgewatt/protocol";
import { jetstream } from "@nats-io/jetstream";
import type { ObjectStore } from "@nats-io/obj";
import ort from "onnxruntime-node";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type Harness, seedOrg, startHarness, waitFor } from "./support";

/** ../shared beside the repository (reference models and datasets); EDGEWATT_SHARED_DIR overrides. */
const SHARED_DIR = process.env.EDGEWATT_SHARED_DIR ?? resolve(import.meta.dirname, "../../../../shared");

const MODEL_PATH = `${SHARED_DIR}/models/nab-conv-autoencoder.onnx`;
const sha256 = (b: Uint8Array) => createHash("sha256").update(b).digest("hex");

describe("optimization jobs", () => {
  let h: Harness;
  let store: ObjectStore;
  let orgId: string;
  let original: Uint8Array;

  beforeAll(async () => {
    h = await startHarness();
    store = await openModelStore(h.nc);
    orgId = await seedOrg(h.db);
    original = new Uint8Array(await readFile(MODEL_PATH));
  });
  afterAll(async () => {
    await h?.close();
  });

  /** What the web does on upload: the object, the model row, its fp32 variant and a queued job. */
  async function seedUpload(opts: {
    objectBytes: Uint8Array;
    rowSha256?: string;
    putObject?: boolean;
    recipe?: string[];
    settings?: Job["settings"];
  }) {
    const modelId = newId("mdl");
    const objectName = objectNames.modelOriginal(orgId, modelId);
    if (opts.putObject !== false) await putObjectBytes(store, objectName, opts.objectBytes);
    const rowSha = opts.rowSha256 ?? sha256(opts.objectBytes);
    const summary = inspectModel(parseModel(original));
    await createModel(h.db, {
      id: modelId,
      orgId,
      name: "nab autoencoder",
      fileName: "nab-conv-autoencoder.onnx",
      objectName,
      sha256: rowSha,
      sizeBytes: opts.objectBytes.byteLength,
      inspection: {
        irVersion: summary.irVersion,
        opsets: Object.fromEntries(summary.opsets.map((o) => [o.domain || "ai.onnx", o.version])),
        producer: summary.producer.name,
        inputs: summary.inputs.map((t) => ({ name: t.name, elemType: t.elemType, shape: t.shape ?? [] })),
        outputs: summary.outputs.map((t) => ({ name: t.name, elemType: t.elemType, shape: t.shape ?? [] })),
        opHistogram: summary.opHistogram,
        nodeCount: summary.nodeCount,
        params: summary.params,
        macs: summary.macs,
      },
    });
    await upsertVariant(h.db, {
      orgId,
      modelId,
      name: "fp32",
      passes: [],
      status: "ready",
      objectName,
      sha256: rowSha,
      sizeBytes: opts.objectBytes.byteLength,
      metrics: { params: summary.params },
    });
    const recipe = opts.recipe ?? ["quantize-dynamic-int8"];
    const job = await createJob(h.db, {
      orgId,
      modelId,
      recipe,
      ...(opts.settings ? { settings: opts.settings } : {}),
    });
    return { modelId, objectName, job };
  }

  async function publishJob(job: Job, msgID = job.id) {
    const js = jetstream(h.nc);
    await js.publish(
      subjects.jobRequest("optimize"),
      encode(ZJobRequest, {
        jobId: job.id,
        orgId: job.orgId,
        kind: "optimize",
        modelId: job.modelId,
        recipe: job.recipe,
      }),
      { msgID },
    );
  }

  const waitForJob = (job: Job, status: "succeeded" | "failed") =>
    waitFor(`job ${job.id} to be ${status}`, async () => {
      const row = await getJob(h.db, job.orgId, job.id);
      if (row.status === "succeeded" || row.status === "failed") {
        expect(row.status, `job error: ${row.error}`).toBe(status);
        return row;
      }
      return null;
    });

  it("builds an int8-dynamic variant that is stored, recorded and loads in onnxruntime-node", async () => {
    const { modelId, job } = await seedUpload({ objectBytes: original });

    const progress: JobProgress[] = [];
    const sub = h.nc.subscribe(subjects.jobProgress(orgId, job.id), {
      callback: (_err, m) => {
        const d = decode(ZJobProgress, m.data);
        if (d.ok) progress.push(d.value);
      },
    });
    await h.nc.flush();

    await publishJob(job);
    const done = await waitForJob(job, "succeeded");
    sub.unsubscribe();

    const variant = (await findVariantByName(h.db, orgId, modelId, "int8-dynamic")) as Variant;
    expect(variant).toMatchObject({
      status: "ready",
      jobId: job.id,
      passes: ["quantize-dynamic-int8"],
      objectName: objectNames.modelVariant(orgId, modelId, "int8-dynamic"),
      error: null,
    });
    expect(variant.metrics.params).toBeGreaterThan(0);
    expect(variant.sizeBytes).toBeLessThan(original.byteLength);

    // The object in MODELS is exactly what the row describes, and carries its sha256 in its metadata.
    const info = await store.info(variant.objectName!);
    expect(info?.metadata?.sha256).toBe(variant.sha256);
    const bytes = (await store.getBlob(variant.objectName!))!;
    expect(bytes.byteLength).toBe(variant.sizeBytes);
    expect(sha256(bytes)).toBe(variant.sha256);

    // …and it is a model onnxruntime-node loads and runs with the original's interface.
    const session = await ort.InferenceSession.create(bytes);
    const window = new ort.Tensor(
      "float32",
      Float32Array.from({ length: 64 }, (_, i) => Math.sin(i / 4)),
      [1, 1, 64],
    );
    const out = await session.run({ [session.inputNames[0]!]: window });
    expect(out[session.outputNames[0]!]!.dims).toEqual([1, 1, 64]);
    await session.release();

    // Progress: in the job row and on the wire, ending at 100 %.
    expect(done.fraction).toBe(100);
    expect(done.steps.map((s) => s.step)).toEqual(
      expect.arrayContaining([
        "fetch-model",
        "int8-dynamic:quantize-dynamic-int8",
        "store:int8-dynamic",
        "job",
      ]),
    );
    await waitFor("the last progress message", () =>
      progress.some((p) => p.step === "job" && p.status === "done"),
    );
    expect(progress.at(-1)).toMatchObject({ jobId: job.id, step: "job", status: "done", fraction: 1 });

    // The baseline row is untouched.
    const fp32 = await findVariantByName(h.db, orgId, modelId, "fp32");
    expect(fp32).toMatchObject({ status: "ready", sha256: sha256(original) });
  });

  it("acks and skips a redelivered request for a job that already succeeded", async () => {
    const { modelId, job } = await seedUpload({ objectBytes: original });
    await publishJob(job);
    await waitForJob(job, "succeeded");
    const before = await findVariantByName(h.db, orgId, modelId, "int8-dynamic");
    const skipped = h.worker.stats.jobs.skipped;

    await publishJob(job, `${job.id}-again`); // a different Msg-Id gets past JetStream's dedup window
    await waitFor("the duplicate request to be skipped", () => h.worker.stats.jobs.skipped > skipped);

    const after = await findVariantByName(h.db, orgId, modelId, "int8-dynamic");
    expect(after).toEqual(before);
    expect((await getJob(h.db, orgId, job.id)).status).toBe("succeeded");
  });

  it("fails a job whose stored model is not a valid ONNX file, and keeps running", async () => {
    // Random bytes with a matching row sha256: the file arrives intact but is not a model.
    const { job } = await seedUpload({ objectBytes: randomBytes(4096) });
    await publishJob(job);
    const failed = await waitForJob(job, "failed");
    expect(failed.error).toMatch(/onnx|protobuf|model/i);
    expect(failed.steps.at(-1)).toMatchObject({ step: "job", status: "failed" });
  });

  it("fails a job whose stored file does not match the sha256 recorded at upload", async () => {
    const { job } = await seedUpload({ objectBytes: randomBytes(4096), rowSha256: sha256(original) });
    await publishJob(job);
    const failed = await waitForJob(job, "failed");
    expect(failed.error).toMatch(/corrupt/);
    expect(failed.error).toContain(sha256(original));
  });

  it("fails a job whose model file is missing from the store", async () => {
    const { job } = await seedUpload({ objectBytes: original, putObject: false });
    await publishJob(job);
    const failed = await waitForJob(job, "failed");
    expect(failed.error).toMatch(/not in the model store/);
  });

  it("a failing pass fails its variant, not the job; the worker is still healthy", async () => {
    const { modelId, job } = await seedUpload({
      objectBytes: original,
      recipe: ["quantize-dynamic-int8", "no-such-pass"],
    });
    await publishJob(job);
    await waitForJob(job, "succeeded");

    expect(await findVariantByName(h.db, orgId, modelId, "int8-dynamic")).toMatchObject({ status: "ready" });
    const failed = await findVariantByName(h.db, orgId, modelId, "no-such-pass");
    expect(failed).toMatchObject({ status: "failed", objectName: null, sha256: null });
    expect(failed?.error).toMatch(/PASS_UNKNOWN/);

    expect(h.worker.stats.jobs).toMatchObject({
      succeeded: 3,
      failed: 3,
      skipped: 1,
      retried: 0,
      variantsFailed: 1,
    });
  });

  it("retries a job while the database is unavailable and runs it once it is back", async () => {
    const { modelId, job } = await seedUpload({ objectBytes: original });
    const broken = createDb(h.tdb.url, { max: 1 });
    await broken.close();
    const worker = await h.restartWorker(broken.db);
    await publishJob(job);
    await waitFor("redeliveries", () => worker.stats.jobs.retried >= 2);
    expect((await getJob(h.db, orgId, job.id)).status).toBe("queued");

    await h.restartWorker();
    await waitForJob(job, "succeeded");
    expect(await findVariantByName(h.db, orgId, modelId, "int8-dynamic")).toMatchObject({ status: "ready" });
  });

  it("runs a job's passes with its own settings (static int8 calibrated with percentile)", async () => {
    const { modelId, job } = await seedUpload({
      objectBytes: original,
      recipe: ["quantize-static-int8"],
      settings: { calibration: "percentile" },
    });
    await publishJob(job);
    await waitForJob(job, "succeeded");
    const variant = await findVariantByName(h.db, orgId, modelId, "int8-static");
    expect(variant?.status).toBe("ready");
    expect(JSON.stringify(variant?.metrics.notes)).toMatch(/calibrated with percentile/);
  });

  it("stops a job a user cancels at its next pass, and records it as cancelled", async () => {
    // A model big enough that its ladder takes seconds (calibration, evaluation and latency per variant).
    const resnet = new Uint8Array(await readFile(`${SHARED_DIR}/models/cifar10-resnet14.onnx`));
    const { modelId, job } = await seedUpload({
      objectBytes: resnet,
      recipe: ["quantize-static-int8", "quantize-dynamic-int8", "fp16", "prune-magnitude", "quantize-int4"],
    });
    const cancelledBefore = h.worker.stats.jobs.cancelled;
    await publishJob(job);
    await waitFor("the job running a pass", async () => {
      const row = await getJob(h.db, orgId, job.id);
      return row.status === "running" && row.steps.some((s) => s.step.includes(":")) ? row : null;
    });
    expect(await cancelJob(h.db, orgId, job.id)).toMatchObject({ status: "cancelled" });
    await waitFor("the worker to stop the job", () => h.worker.stats.jobs.cancelled === cancelledBefore + 1);
    const row = await getJob(h.db, orgId, job.id);
    expect(row).toMatchObject({ status: "cancelled", error: "cancelled by a user" });
    expect(row.steps.at(-1)).toMatchObject({ step: "job", status: "failed", message: "cancelled by a user" });
    // Stopped before the ladder was stored: no new variant beyond the original.
    expect((await findVariantsByModel(h.db, orgId, modelId)).map((v) => v.name)).toEqual(["fp32"]);
  });

  it("measures on the model's uploaded evaluation data instead of synthetic inputs", async () => {
    const { modelId, job } = await seedUpload({ objectBytes: original, recipe: ["quantize-static-int8"] });
    const npz = new Uint8Array(await readFile(`${SHARED_DIR}/datasets/npz/nab-windows-eval-2k.npz`));
    const objectName = objectNames.modelData(orgId, modelId, "evaluation");
    await putObjectBytes(store, objectName, npz);
    await setModelDataset(h.db, orgId, modelId, "evaluation", {
      objectName,
      sha256: sha256(npz),
      sizeBytes: npz.byteLength,
      fileName: "nab-windows-eval-2k.npz",
      samples: 2000,
      arrays: [{ name: "window", dtype: "float32", shape: [2000, 1, 64] }],
      hasLabels: false,
      uploadedAt: new Date().toISOString(),
    });
    await publishJob(job);
    await waitForJob(job, "succeeded");
    const variant = await findVariantByName(h.db, orgId, modelId, "int8-static");
    expect(variant?.status).toBe("ready");
    expect(variant?.metrics.inputs).toBe("nab-windows-eval-2k.npz (uploaded evaluation data)");
    expect(variant?.metrics.evaluationSamples).toBe(512);
    // Calibrated on the same real data (no calibration set of its own).
    expect(JSON.stringify(variant?.metrics.notes)).toMatch(/calibrated with \w+ on 512 sample/);
  });

  it("terminates a request for a job that does not exist", async () => {
    const rejected = h.worker.stats.jobs.rejected;
    const js = jetstream(h.nc);
    await js.publish(
      subjects.jobRequest("optimize"),
      encode(ZJobRequest, {
        jobId: newId("job"),
        orgId,
        kind: "optimize",
        modelId: newId("mdl"),
        recipe: ["x"],
      }),
    );
    await waitFor("the request to be rejected", () => h.worker.stats.jobs.rejected > rejected);
  });

  it("runs the auto ladder on synthetic inputs and stores every variant with its figures", async () => {
    const { modelId, job } = await seedUpload({ objectBytes: original, recipe: ["auto"] });
    await publishJob(job);
    const done = await waitForJob(job, "succeeded");

    const int8 = (await findVariantByName(h.db, orgId, modelId, "int8-dynamic")) as Variant;
    expect(int8).toMatchObject({ status: "ready", passes: ["quantize-dynamic-int8"] });
    const metrics = int8.metrics as Record<string, unknown> & {
      figures: Record<string, { value: number; unit: string; method: string }>;
      ratios: Record<string, number>;
    };
    expect(metrics).toMatchObject({
      inputs: "synthetic inputs",
      evaluationSamples: 64,
      powerProfile: "generic-x86",
      fidelity: { samples: 64, cosine: expect.any(Number) },
    });
    for (const key of [
      "cosine",
      "reconstructionMse",
      "spearmanRho",
      "latencyP50Ms_t1",
      "energyJPerInference_t1",
    ]) {
      expect(metrics.figures[key]?.method, key).toMatch(/synthetic inputs/);
    }
    expect(metrics.ratios.sizeBytes).toBeLessThan(1);
    expect(metrics.latencyMsP50).toBe(metrics.figures.latencyP50Ms_t1?.value);

    // the original's row gets the baseline figures, keeping its file
    const fp32 = (await findVariantByName(h.db, orgId, modelId, "fp32")) as Variant;
    expect(fp32).toMatchObject({ status: "ready", sha256: sha256(original), jobId: null });
    expect((fp32.metrics as { figures: Record<string, unknown> }).figures.reconstructionMse).toBeDefined();

    // every rung is a row: ready, failed (e.g. a pass not registered yet) or dropped; int4 is not built here
    for (const rung of LADDER) {
      const row = await findVariantByName(h.db, orgId, modelId, rung.variant);
      if (rung.variant === "int4") {
        expect(row).toBeNull();
        continue;
      }
      expect(row, rung.variant).not.toBeNull();
      if (!findPass(rung.pass)) expect(row?.error).toMatch(/PASS_UNKNOWN/);
      if (row?.status === "failed" && findPass(rung.pass)) expect(row.error).toMatch(/dropped|failed/);
    }
    expect(done.steps.map((s) => s.step)).toEqual(
      expect.arrayContaining([
        "fp32:evaluate",
        "int8-dynamic:quantize-dynamic-int8",
        "all:measure-latency",
        "job",
      ]),
    );
    expect(done.steps.at(-1)?.message).toMatch(/synthetic inputs/);
  });
});
