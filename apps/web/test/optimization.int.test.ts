/**
 * Optimization from the portal (real Postgres + nats-server): jobs with their own settings, cancel and retry with
 * roles and tenant isolation, the live progress stream, and the ladder's Pareto fronts.
 */
import { readFile } from "node:fs/promises";
import { Readable } from "node:stream";
import { appendJobStep, findAudit, finishJob, getJob, markJobRunning, type Variant } from "@edgewatt/db";
import { TRPCError } from "@trpc/server";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { SessionClaims } from "../src/server/auth/config";
import type { Actor } from "../src/server/services/actor";
import { createLadderView } from "../src/server/services/models/ladder-view";
import { uploadModel } from "../src/server/services/models/upload-model";
import { type JobUpdate, watchJob } from "../src/server/services/models/watch-job";
import { createCaller } from "../src/server/trpc/root";
import { addMember, createOrg, type Infra, MODEL_PATH, startInfra } from "./helpers";

describe("optimization jobs from the portal", () => {
  let infra: Infra;
  let owner: Actor;
  let other: Actor;
  let modelId: string;

  const caller = (actor: Actor) => {
    const claims: SessionClaims = {
      userId: actor.userId,
      orgId: actor.orgId,
      orgName: "Test",
      role: actor.role,
    };
    return createCaller({ claims, db: infra.db, nats: async () => infra.nc, origin: "https://portal.test" });
  };
  const failure = async (p: Promise<unknown>) => {
    const err = await p.then(
      () => {
        throw new Error("expected the call to fail");
      },
      (e: unknown) => e,
    );
    expect(err).toBeInstanceOf(TRPCError);
    return err as TRPCError;
  };

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
