import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  appendJobStep,
  ConflictError,
  cancelJob,
  createJob,
  createOrgWithOwner,
  createVariant,
  DbError,
  deleteModel,
  findJobStatus,
  findJobsByModel,
  findMembershipsForUser,
  findModelsByOrg,
  findUserByEmail,
  findVariantsByModel,
  finishJob,
  getJob,
  getMembership,
  getModel,
  getVariantByName,
  InvalidInputError,
  markJobRunning,
  NotFoundError,
  setModelDataset,
  upsertVariant,
} from "../src/index";
import { createTestDatabase, type TestDatabase } from "../src/testing/index";
import { makeModel, makeOrg } from "./fixtures";

describe("orgs and users", () => {
  let t: TestDatabase;
  beforeAll(async () => {
    t = await createTestDatabase();
  });
  afterAll(async () => {
    await t?.drop();
  });

  it("creates user, org and owner membership together", async () => {
    const { org, user, membership } = await createOrgWithOwner(t.db, {
      name: "Acme Robotics, Inc.",
      email: "  Ann@Example.com ",
      passwordHash: "scrypt$x",
      userName: "Ann",
    });
    expect(org.slug).toBe("acme-robotics-inc");
    expect(user.email).toBe("ann@example.com");
    expect(membership).toMatchObject({ orgId: org.id, userId: user.id, role: "owner" });
    expect((await findUserByEmail(t.db, "ANN@example.COM"))?.id).toBe(user.id);
    expect(await findMembershipsForUser(t.db, user.id)).toEqual([
      expect.objectContaining({ role: "owner", org: { id: org.id, name: org.name, slug: org.slug } }),
    ]);
    expect((await getMembership(t.db, org.id, user.id)).role).toBe("owner");
  });

  it("refuses a second account for the same email, whatever its case, and leaves no org behind", async () => {
    const attempt = createOrgWithOwner(t.db, {
      name: "Ann Again",
      email: "ANN@example.com",
      passwordHash: null,
      userName: null,
    });
    await expect(attempt).rejects.toBeInstanceOf(ConflictError);
    await expect(attempt).rejects.toMatchObject({ code: "CONFLICT", constraint: "users_email_uq" });
  });

  it("derives a free slug when the name's slug is taken, and rejects a taken chosen slug", async () => {
    const second = await createOrgWithOwner(t.db, {
      name: "Acme Robotics Inc",
      email: "bob@example.com",
      passwordHash: null,
      userName: "Bob",
    });
    expect(second.org.slug).toMatch(/^acme-robotics-inc-[0-9a-z]{5}$/);
    await expect(
      createOrgWithOwner(t.db, {
        name: "X",
        slug: "acme-robotics-inc",
        email: "c@example.com",
        passwordHash: null,
        userName: null,
      }),
    ).rejects.toMatchObject({ code: "CONFLICT", constraint: "orgs_slug_uq" });
    // The user of the failed sign-up was rolled back with it.
    expect(await findUserByEmail(t.db, "c@example.com")).toBeNull();
    await expect(
      createOrgWithOwner(t.db, {
        name: "X",
        slug: "Bad Slug",
        email: "d@example.com",
        passwordHash: null,
        userName: null,
      }),
    ).rejects.toBeInstanceOf(InvalidInputError);
  });

  it("getMembership throws NotFound for a non-member", async () => {
    const a = await makeOrg(t.db, "A");
    const b = await makeOrg(t.db, "B");
    const err = await getMembership(t.db, a.org.id, b.userId).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(NotFoundError);
    expect(err).toBeInstanceOf(DbError);
    expect((err as NotFoundError).code).toBe("NOT_FOUND");
  });
});

describe("models, variants and jobs", () => {
  let t: TestDatabase;
  let orgA: string;
  let orgB: string;
  beforeAll(async () => {
    t = await createTestDatabase();
    orgA = (await makeOrg(t.db, "A")).org.id;
    orgB = (await makeOrg(t.db, "B")).org.id;
  });
  afterAll(async () => {
    await t?.drop();
  });

  it("scopes models by org: org B cannot get, list or delete org A's model", async () => {
    const model = await makeModel(t.db, orgA);
    expect((await getModel(t.db, orgA, model.id)).name).toBe("classifier");
    await expect(getModel(t.db, orgB, model.id)).rejects.toBeInstanceOf(NotFoundError);
    expect(await findModelsByOrg(t.db, orgB)).toEqual([]);
    await expect(deleteModel(t.db, orgB, model.id)).rejects.toBeInstanceOf(NotFoundError);
    expect((await findModelsByOrg(t.db, orgA)).map((m) => m.id)).toEqual([model.id]);
  });

  it("upserts variants on (model, name), keeping the id", async () => {
    const model = await makeModel(t.db, orgA, "upsert-me");
    const fp32 = await createVariant(t.db, {
      orgId: orgA,
      modelId: model.id,
      name: "fp32",
      passes: [],
      status: "ready",
      objectName: "o/fp32.onnx",
      sha256: "b".repeat(64),
      sizeBytes: 100,
    });
    const first = await upsertVariant(t.db, {
      orgId: orgA,
      modelId: model.id,
      name: "int8",
      passes: ["quantize-dynamic"],
      status: "failed",
      error: "boom",
    });
    const again = await upsertVariant(t.db, {
      orgId: orgA,
      modelId: model.id,
      name: "int8",
      passes: ["quantize-dynamic"],
      status: "ready",
      sizeBytes: 40,
      metrics: { params: 10 },
    });
    expect(again.id).toBe(first.id);
    expect(again).toMatchObject({ status: "ready", error: null, sizeBytes: 40, metrics: { params: 10 } });
    expect((await findVariantsByModel(t.db, orgA, model.id)).map((v) => v.name)).toEqual(["fp32", "int8"]);
    expect((await getVariantByName(t.db, orgA, model.id, "fp32")).id).toBe(fp32.id);
    await expect(getVariantByName(t.db, orgB, model.id, "fp32")).rejects.toBeInstanceOf(NotFoundError);
    await expect(
      createVariant(t.db, { orgId: orgA, modelId: model.id, name: "fp32", passes: [], status: "ready" }),
    ).rejects.toThrow();
  });

  it("tracks a job from queued to succeeded", async () => {
    const model = await makeModel(t.db, orgA, "jobbed");
    const job = await createJob(t.db, { orgId: orgA, modelId: model.id, recipe: ["quantize-dynamic"] });
    expect(job).toMatchObject({ status: "queued", fraction: 0, steps: [] });
    const running = await markJobRunning(t.db, job.id);
    expect(running?.status).toBe("running");
    expect(running?.startedAt).toBeInstanceOf(Date);
    await appendJobStep(t.db, job.id, { step: "quantize-dynamic", status: "started", ts: 1 }, 0.25);
    const stepped = await appendJobStep(
      t.db,
      job.id,
      { step: "quantize-dynamic", status: "done", ts: 2 },
      0.5,
    );
    expect(stepped.steps.map((s) => s.status)).toEqual(["started", "done"]);
    expect(stepped.fraction).toBe(50);
    const done = await finishJob(t.db, job.id, "succeeded");
    expect(done).toMatchObject({ status: "succeeded", fraction: 100, error: null });
    expect(done.finishedAt).toBeInstanceOf(Date);
    // A redelivered request for a finished job is not run again.
    expect(await markJobRunning(t.db, job.id)).toBeNull();
    await expect(markJobRunning(t.db, "job_missing")).rejects.toBeInstanceOf(NotFoundError);
    await expect(
      appendJobStep(t.db, job.id, { step: "x", status: "done", ts: 3 }, 1.5),
    ).rejects.toBeInstanceOf(InvalidInputError);
    expect((await findJobsByModel(t.db, orgA, model.id)).map((j) => j.id)).toEqual([job.id]);
    await expect(getJob(t.db, orgB, job.id)).rejects.toBeInstanceOf(NotFoundError);
  });

  it("cancels a queued or running job of the org only; the worker's late finish does not undo it", async () => {
    const model = await makeModel(t.db, orgA, "cancelled");
    const job = await createJob(t.db, {
      orgId: orgA,
      modelId: model.id,
      recipe: ["accuracy-aware"],
      settings: { goal: { maxAccuracyDrop: 1 } },
    });
    expect(job.settings).toEqual({ goal: { maxAccuracyDrop: 1 } });
    await markJobRunning(t.db, job.id);
    await expect(cancelJob(t.db, orgB, job.id)).rejects.toBeInstanceOf(NotFoundError);
    const cancelled = await cancelJob(t.db, orgA, job.id);
    expect(cancelled).toMatchObject({ status: "cancelled", error: "cancelled by a user" });
    expect(await findJobStatus(t.db, job.id)).toBe("cancelled");
    expect(await finishJob(t.db, job.id, "succeeded")).toMatchObject({ status: "cancelled" });
    expect(await cancelJob(t.db, orgA, job.id)).toBeNull();
    expect(await markJobRunning(t.db, job.id)).toBeNull();
  });

  it("keeps a model's calibration and evaluation data independently", async () => {
    const model = await makeModel(t.db, orgA, "with-data");
    expect(model.datasets).toEqual({});
    const dataset = (fileName: string) => ({
      objectName: `${orgA}/${model.id}/data.npz`,
      sha256: "b".repeat(64),
      sizeBytes: 10,
      fileName,
      samples: 4,
      arrays: [{ name: "x", dtype: "float32", shape: [4, 4] }],
      hasLabels: false,
      uploadedAt: "2026-01-01T00:00:00.000Z",
    });
    await setModelDataset(t.db, orgA, model.id, "calibration", dataset("calib.npz"));
    const both = await setModelDataset(t.db, orgA, model.id, "evaluation", dataset("eval.npz"));
    expect(both.datasets.calibration?.fileName).toBe("calib.npz");
    expect(both.datasets.evaluation?.fileName).toBe("eval.npz");
    const one = await setModelDataset(t.db, orgA, model.id, "calibration", null);
    expect(Object.keys(one.datasets)).toEqual(["evaluation"]);
    await expect(setModelDataset(t.db, orgB, model.id, "evaluation", null)).rejects.toBeInstanceOf(
      NotFoundError,
    );
  });

  it("records a failed job's error", async () => {
    const model = await makeModel(t.db, orgA, "failing");
    const job = await createJob(t.db, { orgId: orgA, modelId: model.id, recipe: ["prune-magnitude"] });
    const failed = await finishJob(t.db, job.id, "failed", "pass prune-magnitude: no prunable weights");
    expect(failed).toMatchObject({ status: "failed", error: "pass prune-magnitude: no prunable weights" });
  });
});
