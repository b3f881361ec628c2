/**
 * Optimization jobs: JOBS work queue → engine → variants in the MODELS object store + model_variants rows.
 *
 * - A failing pass fails its variant (row status `failed` with the engine's reason), not the whole job.
 * - A job that cannot run at all (model or its file missing, file corrupt, not a loadable ONNX model) is
 *   finished as `failed` with a reason a user can act on, and its message is acked.
 * - Database / NATS errors are transient: the message is nak'ed and retried, up to JOB_MAX_ATTEMPTS
 *   deliveries, after which the job is failed rather than retried forever.
 * - Redelivery is harmless: a finished job is acked and skipped; variants and objects are upserts.
 */
import { createHash } from "node:crypto";
import { mkdtemp, readFile, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import {
  appendJobStep,
  type Db,
  findJobStatus,
  findModel,
  findVariantByName,
  finishJob,
  getJob,
  type Job,
  markJobRunning,
  NotFoundError,
  upsertVariant,
} from "@edgewatt/db";
import {
  createAccuracyAwarePass,
  createOrtRuntime,
  createQuantizeStaticInt8Pass,
  isEngineError,
  optimizeModel,
  type Pass,
} from "@edgewatt/engine";
import {
  getObjectToFile,
  type Logger,
  type NatsConnection,
  openModelStore,
  putObjectBytes,
  runConsumer,
} from "@edgewatt/nats";
import {
  CONSUMERS,
  encode,
  type JobProgress,
  type JobRequest,
  objectNames,
  STREAMS,
  subjects,
  ZJobProgress,
  ZJobRequest,
} from "@edgewatt/protocol";
import type { JsMsg } from "@nats-io/jetstream";
import type { ObjectStore } from "@nats-io/obj";
import ort from "onnxruntime-node";
import { WorkerError } from "../errors";
import { childLogger, errorMessage } from "../log";
import { type SupervisedConsumer, superviseConsumer } from "../supervise";
import { createJobData, loadUploadedData } from "./job-data";
import { createVariantMetrics } from "./variant-metrics";

/** Deliveries of one job message before a transient failure becomes a failed job. */
export const JOB_MAX_ATTEMPTS = 5;
/** Above this the original is streamed to a temp file (sha256 checked on the way) instead of read in one blob. */
export const BLOB_LIMIT_BYTES = 200 * 1024 * 1024;
/** How often a running job checks whether a user cancelled it. */
const CANCEL_POLL_MS = 1000;
/** How often a running job tells JetStream it is still working (ack_wait is 60 s). */
const WORKING_INTERVAL_MS = 15_000;
/** Pass log lines kept in the job row's steps (all are published on the progress subject). */
const MAX_NOTE_STEPS = 100;

/** Share of the job's progress fraction given to fetching, optimizing and storing. */
const PHASE = { fetch: [0, 0.1], optimize: [0.1, 0.9], store: [0.9, 1] } as const;

export interface JobStats {
  readonly received: number;
  readonly succeeded: number;
  readonly failed: number;
  /** Redelivered jobs that were already finished. */
  readonly skipped: number;
  /** Transient errors (database, NATS); the job message was nak'ed and will be redelivered. */
  readonly retried: number;
  /** Messages terminated: malformed, unknown job, or a request that does not match its job row. */
  readonly rejected: number;
  readonly variantsReady: number;
  readonly variantsFailed: number;
  /** Jobs a user cancelled while they ran (stopped at the next pass). */
  readonly cancelled: number;
}

export interface JobWorkers {
  stats: JobStats;
  stop(): Promise<void>;
}

type Counts = { -readonly [K in Exclude<keyof JobStats, "retried">]: number };

export async function startJobWorkers(opts: {
  db: Db;
  nc: NatsConnection;
  log: Logger;
  /** Jobs run at once by this process (each loop pulls one message at a time). */
  concurrency?: number;
  retryDelayMs?: number;
}): Promise<JobWorkers> {
  const counts: Counts = {
    received: 0,
    succeeded: 0,
    failed: 0,
    skipped: 0,
    rejected: 0,
    variantsReady: 0,
    variantsFailed: 0,
    cancelled: 0,
  };
  const store = await openModelStore(opts.nc);
  const runtime = createOrtRuntime(ort);
  const ctx: JobContext = { db: opts.db, nc: opts.nc, store, runtime, counts, log: opts.log };

  const loops: SupervisedConsumer[] = [];
  for (let i = 0; i < Math.max(1, opts.concurrency ?? 1); i++) {
    const log = childLogger(opts.log, { consumer: CONSUMERS.jobWorkers, slot: i });
    loops.push(
      await superviseConsumer(
        CONSUMERS.jobWorkers,
        () =>
          runConsumer({
            nc: opts.nc,
            stream: STREAMS.jobs,
            durable: CONSUMERS.jobWorkers,
            def: ZJobRequest,
            log,
            // One message at a time: a job waiting in a local buffer would run out its ack_wait.
            maxMessages: 1,
            retryDelayMs: opts.retryDelayMs ?? 5000,
            handle: (req, msg) => handleJobMessage({ ...ctx, log }, req, msg),
          }),
        log,
      ),
    );
  }

  const sum = (key: "invalid" | "failed") => loops.reduce((n, l) => n + l.stats[key], 0);
  const stats: JobStats = {
    get received() {
      return counts.received;
    },
    get succeeded() {
      return counts.succeeded;
    },
    get failed() {
      return counts.failed;
    },
    get skipped() {
      return counts.skipped;
    },
    get retried() {
      return sum("failed");
    },
    get rejected() {
      return counts.rejected + sum("invalid");
    },
    get variantsReady() {
      return counts.variantsReady;
    },
    get variantsFailed() {
      return counts.variantsFailed;
    },
    get cancelled() {
      return counts.cancelled;
    },
  };
  return {
    stats,
    async stop() {
      await Promise.all(loops.map((l) => l.stop()));
    },
  };
}

interface JobContext {
  db: Db;
  nc: NatsConnection;
  store: ObjectStore;
  runtime: ReturnType<typeof createOrtRuntime>;
  counts: Counts;
  log: Logger;
}

async function handleJobMessage(ctx: JobContext, req: JobRequest, msg: JsMsg): Promise<void> {
  const { db, log, counts } = ctx;
  counts.received++;
  const job = await findJob(db, req.orgId, req.jobId);
  if (!job) {
    counts.rejected++;
    const reason = `job ${req.jobId} does not exist in org ${req.orgId}`;
    log.warn({ jobId: req.jobId, orgId: req.orgId }, `rejected job request: ${reason}`);
    msg.term(reason);
    return;
  }
  if (job.modelId !== req.modelId) {
    counts.rejected++;
    const reason = `job ${req.jobId} is for model ${job.modelId}, the request names ${req.modelId}`;
    log.warn({ jobId: req.jobId }, `rejected job request: ${reason}`);
    msg.term(reason);
    return;
  }
  // Null when the job already finished or was cancelled: a redelivered request, acked and skipped.
  const running = await markJobRunning(db, job.id);
  if (!running) {
    counts.skipped++;
    log.info({ jobId: job.id, status: job.status }, "job already finished; skipping redelivered request");
    return;
  }

  const attempt = msg.info.deliveryCount;
  log.info(
    { jobId: job.id, modelId: req.modelId, kind: req.kind, recipe: req.recipe, attempt },
    "job started",
  );
  const keepAlive = setInterval(() => msg.working(), WORKING_INTERVAL_MS);
  // A user's cancel is a row update; the run checks it between passes through this signal.
  const cancel = new AbortController();
  const cancelPoll = setInterval(() => {
    findJobStatus(db, job.id).then(
      (status) => {
        if (status === "cancelled") cancel.abort(new JobCancelled(job.id));
      },
      () => undefined,
    );
  }, CANCEL_POLL_MS);
  try {
    switch (req.kind) {
      case "optimize":
        await runOptimizeJob(ctx, req, msg, { signal: cancel.signal, settings: running.settings });
        break;
    }
  } catch (err) {
    if (err instanceof JobCancelled || cancel.signal.aborted) {
      counts.cancelled++;
      log.info({ jobId: job.id }, "job cancelled by a user; stopped");
      await progress(ctx, req, {
        step: "job",
        status: "failed",
        message: "cancelled by a user",
        fraction: 1,
      });
      return;
    }
    const permanent = err instanceof WorkerError || isEngineError(err);
    if (!permanent && attempt < JOB_MAX_ATTEMPTS) {
      log.warn(
        { jobId: job.id, attempt, err: errorMessage(err) },
        "job hit a transient error; it will be retried",
      );
      throw err;
    }
    const reason = permanent
      ? errorMessage(err)
      : `gave up after ${attempt} attempts; last error: ${errorMessage(err)}`;
    counts.failed++;
    log.error({ jobId: job.id, code: (err as { code?: string }).code, err: reason }, "job failed");
    await progress(ctx, req, { step: "job", status: "failed", message: reason, fraction: 1 });
    await finishJob(db, job.id, "failed", reason);
  } finally {
    clearInterval(keepAlive);
    clearInterval(cancelPoll);
  }
}

class JobCancelled extends Error {
  constructor(jobId: string) {
    super(`job ${jobId} was cancelled by a user`);
    this.name = "JobCancelled";
  }
}

/** The job's own pass settings as per-run overrides (never the process-wide registry: jobs run side by side). */
function passOverridesOf(settings: Job["settings"]): Map<string, Pass> {
  const overrides = new Map<string, Pass>();
  if (settings.goal) overrides.set("accuracy-aware", createAccuracyAwarePass({ goal: settings.goal }));
  if (settings.calibration) {
    overrides.set(
      "quantize-static-int8",
      createQuantizeStaticInt8Pass({ calibration: settings.calibration }),
    );
  }
  return overrides;
}

async function runOptimizeJob(
  ctx: JobContext,
  req: JobRequest,
  msg: JsMsg,
  run: { signal: AbortSignal; settings: Job["settings"] },
): Promise<void> {
  const { db, log, counts } = ctx;
  const model = await findModel(db, req.orgId, req.modelId);
  if (!model) {
    throw new WorkerError("MODEL_NOT_FOUND", `model ${req.modelId} does not exist in org ${req.orgId}`);
  }

  await progress(ctx, req, { step: "fetch-model", status: "started", fraction: PHASE.fetch[0] });
  const bytes = await fetchOriginal(ctx.store, model);
  await progress(ctx, req, {
    step: "fetch-model",
    status: "done",
    message: `${bytes.byteLength} bytes, sha256 verified`,
    fraction: PHASE.fetch[1],
  });

  // The model's uploaded data when it has some; else passes calibrate and variants are measured on synthetic inputs.
  const uploaded = await loadUploadedData(ctx.store, model);
  const data = createJobData(bytes, uploaded);
  if (data.unavailable) {
    log.warn(
      { jobId: req.jobId, reason: data.unavailable },
      "no synthetic data; variants are only load-checked",
    );
  }

  const [o0, o1] = PHASE.optimize;
  // Progress callbacks are synchronous; their writes are chained in order and their first error rethrown.
  let writes: Promise<void> = Promise.resolve();
  let writeError: unknown = null;
  let notes = 0;
  // Variants that ran a pass; the baseline's own `evaluate` and the ladder-wide steps do not finish a variant.
  const building = new Set<string>();
  const finished = new Set<string>();
  const result = await optimizeModel({
    bytes,
    recipe: req.recipe,
    runtime: ctx.runtime,
    ...data.options,
    signal: run.signal,
    passOverrides: passOverridesOf(run.settings),
    onProgress: (event) => {
      msg.working();
      if (event.pass !== "evaluate" && event.pass !== "measure-latency" && event.pass !== "select") {
        building.add(event.variant);
      }
      // With a runtime, a variant ends with its evaluation (`evaluate` done) or with a failure.
      if (
        building.has(event.variant) &&
        (event.status === "failed" || (event.pass === "evaluate" && event.status === "done"))
      ) {
        finished.add(event.variant);
      }
      // Pass log lines ("kept in float: …") can be many on a large model: the first ones go to the job row,
      // all of them to the progress subject.
      const isNote = event.status === "started" && event.message !== undefined;
      const persist = !isNote || ++notes <= MAX_NOTE_STEPS;
      // The engine reports passes, not fractions: estimate from variants finished per recipe entry.
      const planned = event.plannedVariants ?? req.recipe.length;
      const fraction = o0 + (o1 - o0) * clamp01(finished.size / Math.max(1, planned));
      writes = writes
        .then(() =>
          progress(ctx, req, {
            step: `${event.variant}:${event.pass}`,
            status: event.status,
            message: event.message,
            fraction,
            persist,
          }),
        )
        .catch((err: unknown) => {
          writeError ??= err;
        });
    },
  });
  await writes;
  if (writeError) throw writeError;
  run.signal.throwIfAborted();

  const [s0, s1] = PHASE.store;
  const total = result.variants.length + result.failures.length + result.dropped.length;
  let done = 0;
  for (const variant of result.variants) {
    const step = `store:${variant.name}`;
    let objectName: string;
    try {
      objectName = objectNames.modelVariant(model.orgId, model.id, variant.name);
    } catch (err) {
      result.failures.push({
        name: variant.name,
        pass: variant.passes.at(-1) ?? "store",
        code: "INTERNAL",
        error: errorMessage(err),
      });
      continue;
    }
    const stored = await putObjectBytes(ctx.store, objectName, variant.bytes, {
      model: model.id,
      variant: variant.name,
      job: req.jobId,
    });
    if (stored.sha256 !== variant.sha256) {
      // The engine hashed the same bytes; a difference means memory corruption or a bug, never a silent store.
      throw new Error(
        `variant ${variant.name}: stored sha256 ${stored.sha256} differs from the engine's ${variant.sha256}`,
      );
    }
    await upsertVariant(db, {
      orgId: model.orgId,
      modelId: model.id,
      jobId: req.jobId,
      name: variant.name,
      passes: variant.passes,
      status: "ready",
      error: null,
      objectName,
      sha256: stored.sha256,
      sizeBytes: stored.sizeBytes,
      metrics: createVariantMetrics(variant, result, model.sizeBytes),
    });
    counts.variantsReady++;
    done++;
    await progress(ctx, req, {
      step,
      status: "done",
      message: `${stored.sizeBytes} bytes (${Math.round((100 * stored.sizeBytes) / Math.max(1, model.sizeBytes))}% of the original)`,
      fraction: s0 + ((s1 - s0) * done) / Math.max(1, total),
    });
    log.info(
      { jobId: req.jobId, variant: variant.name, sha256: stored.sha256, sizeBytes: stored.sizeBytes },
      "variant ready",
    );
  }

  for (const dropped of result.dropped) {
    await upsertVariant(db, {
      orgId: model.orgId,
      modelId: model.id,
      jobId: req.jobId,
      name: dropped.name,
      passes: dropped.passes,
      status: "failed",
      error: `dropped from the ladder: ${dropped.reason}`,
      objectName: null,
      sha256: null,
      sizeBytes: dropped.sizeBytes,
      metrics: createVariantMetrics(dropped, result, model.sizeBytes),
    });
    done++;
    await progress(ctx, req, {
      step: `variant:${dropped.name}`,
      status: "done",
      message: `dropped: ${dropped.reason}`,
      fraction: s0 + ((s1 - s0) * done) / Math.max(1, total),
    });
    log.info({ jobId: req.jobId, variant: dropped.name, reason: dropped.reason }, "variant dropped");
  }

  await storeBaselineMetrics(ctx, model, result);

  for (const failure of result.failures) {
    await upsertVariant(db, {
      orgId: model.orgId,
      modelId: model.id,
      jobId: req.jobId,
      name: failure.name,
      passes: [failure.pass],
      status: "failed",
      error: `${failure.pass} failed (${failure.code}): ${failure.error}`,
      objectName: null,
      sha256: null,
      sizeBytes: null,
      metrics: {},
    });
    counts.variantsFailed++;
    done++;
    await progress(ctx, req, {
      step: `variant:${failure.name}`,
      status: "failed",
      message: `${failure.pass}: ${failure.error}`,
      fraction: s0 + ((s1 - s0) * done) / Math.max(1, total),
    });
    log.warn(
      { jobId: req.jobId, variant: failure.name, pass: failure.pass, err: failure.error },
      "variant failed",
    );
  }

  if (result.variants.length === 0) {
    const reasons = [
      ...result.failures.map((f) => `${f.name} (${f.pass}): ${f.error}`),
      ...result.dropped.map((d) => `${d.name} dropped: ${d.reason}`),
    ].join("; ");
    throw new WorkerError(
      "OPTIMIZE_FAILED",
      reasons
        ? `no variant could be built: ${reasons}`
        : `the recipe [${req.recipe.join(", ")}] produced no variant`,
    );
  }
  await progress(ctx, req, {
    step: "job",
    status: "done",
    message:
      `${result.variants.length} variant(s) ready, ${result.dropped.length} dropped, ${result.failures.length} failed` +
      (result.data.evaluation?.synthetic ? " (measured on synthetic inputs)" : ""),
    fraction: 1,
  });
  await finishJob(db, req.jobId, "succeeded");
  counts.succeeded++;
  log.info(
    {
      jobId: req.jobId,
      ready: result.variants.map((v) => v.name),
      failed: result.failures.map((f) => f.name),
    },
    "job succeeded",
  );
}

/**
 * The original's row (`fp32`, written at upload) gets the baseline's measured figures; its file, hash and
 * job stay as they are.
 */
async function storeBaselineMetrics(
  ctx: JobContext,
  model: { id: string; orgId: string; sizeBytes: number },
  result: Awaited<ReturnType<typeof optimizeModel>>,
): Promise<void> {
  const row = await findVariantByName(ctx.db, model.orgId, model.id, "fp32");
  if (!row || row.passes.length > 0) return;
  await upsertVariant(ctx.db, {
    id: row.id,
    orgId: row.orgId,
    modelId: row.modelId,
    jobId: row.jobId,
    name: row.name,
    passes: row.passes,
    status: row.status,
    error: row.error,
    objectName: row.objectName,
    sha256: row.sha256,
    sizeBytes: row.sizeBytes,
    metrics: {
      ...row.metrics,
      ...createVariantMetrics(result.baseline, result, model.sizeBytes),
      fidelity: null,
    },
  });
}

/** Reads the uploaded original and checks it against the sha256 recorded at upload. */
async function fetchOriginal(
  store: ObjectStore,
  model: { id: string; objectName: string; sha256: string; sizeBytes: number },
): Promise<Uint8Array> {
  const info = await store.info(model.objectName);
  if (!info || info.deleted) {
    throw new WorkerError(
      "MODEL_OBJECT_MISSING",
      `the file of model ${model.id} (${model.objectName}) is not in the model store; upload the model again`,
    );
  }
  if (info.size > BLOB_LIMIT_BYTES) {
    const dir = await mkdtemp(join(tmpdir(), "ew-worker-"));
    try {
      const path = join(dir, "original.onnx");
      await getObjectToFile(store, model.objectName, path, { expectedSha256: model.sha256 }).catch(
        (err: unknown) => {
          if ((err as { code?: string }).code === "SHA256_MISMATCH") {
            throw new WorkerError("SHA256_MISMATCH", corruptMessage(model, errorMessage(err)), {
              cause: err,
            });
          }
          throw err;
        },
      );
      return new Uint8Array(await readFile(path));
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  }
  const bytes = await store.getBlob(model.objectName);
  if (!bytes) {
    throw new WorkerError(
      "MODEL_OBJECT_MISSING",
      `the file of model ${model.id} (${model.objectName}) vanished while reading it`,
    );
  }
  const actual = createHash("sha256").update(bytes).digest("hex");
  if (actual !== model.sha256) {
    throw new WorkerError(
      "SHA256_MISMATCH",
      corruptMessage(model, `sha256 ${actual}, expected ${model.sha256}`),
    );
  }
  return bytes;
}

function corruptMessage(model: { id: string; objectName: string }, detail: string): string {
  return `the stored file of model ${model.id} (${model.objectName}) is corrupt (${detail}); upload the model again`;
}

/** Appends a step to the job row and announces it on the job's progress subject. */
async function progress(
  ctx: JobContext,
  req: JobRequest,
  step: {
    step: string;
    status: JobProgress["status"];
    message?: string | undefined;
    fraction: number;
    persist?: boolean;
  },
): Promise<void> {
  const ts = Date.now();
  const fraction = clamp01(step.fraction);
  if (step.persist !== false) {
    await appendJobStep(
      ctx.db,
      req.jobId,
      {
        step: step.step,
        status: step.status,
        ...(step.message !== undefined ? { message: step.message } : {}),
        ts,
      },
      fraction,
    );
  }
  try {
    ctx.nc.publish(
      subjects.jobProgress(req.orgId, req.jobId),
      encode(ZJobProgress, {
        jobId: req.jobId,
        step: step.step,
        status: step.status,
        ...(step.message !== undefined ? { message: step.message } : {}),
        fraction,
        ts,
      }),
    );
  } catch (err) {
    // Progress on the wire is best-effort; the job row has the record.
    ctx.log.warn({ jobId: req.jobId, err: errorMessage(err) }, "could not publish job progress");
  }
}

async function findJob(db: Db, orgId: string, jobId: string): Promise<Job | null> {
  try {
    return await getJob(db, orgId, jobId);
  } catch (err) {
    if (err instanceof NotFoundError) return null;
    throw err;
  }
}

function clamp01(x: number): number {
  return Number.isFinite(x) ? Math.min(1, Math.max(0, x)) : 0;
}
