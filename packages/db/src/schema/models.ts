import { JOB_STATUSES, VARIANT_STATUSES } from "@edgewatt/protocol";
import { bigint, index, jsonb, pgEnum, pgTable, text, timestamp, uniqueIndex } from "drizzle-orm/pg-core";
import { users } from "./auth";
import { orgs } from "./orgs";

export const jobStatusEnum = pgEnum("job_status", JOB_STATUSES);
export const variantStatusEnum = pgEnum("variant_status", VARIANT_STATUSES);

/** What the engine's inspector found in an uploaded model (inputs, outputs, op histogram, params, MACs). */
export type ModelInspection = {
  irVersion: number;
  opsets: Record<string, number>;
  producer: string;
  inputs: { name: string; elemType: string; shape: (number | string)[] }[];
  outputs: { name: string; elemType: string; shape: (number | string)[] }[];
  opHistogram: Record<string, number>;
  nodeCount: number;
  params: number;
  macs: number | null;
};

export const models = pgTable(
  "models",
  {
    id: text("id").primaryKey(),
    orgId: text("org_id")
      .notNull()
      .references(() => orgs.id, { onDelete: "cascade" }),
    name: text("name").notNull(),
    description: text("description"),
    fileName: text("file_name").notNull(),
    objectName: text("object_name").notNull(),
    sha256: text("sha256").notNull(),
    sizeBytes: bigint("size_bytes", { mode: "number" }).notNull(),
    inspection: jsonb("inspection").$type<ModelInspection>().notNull(),
    /** Uploaded calibration / evaluation data (.npz in the object store); jobs use it instead of synthetic inputs. */
    datasets: jsonb("datasets").$type<ModelDatasets>().notNull().default({}),
    createdBy: text("created_by").references(() => users.id, { onDelete: "set null" }),
    createdAt: timestamp("created_at", { withTimezone: true }).notNull().defaultNow(),
  },
  (t) => [index("models_org_idx").on(t.orgId, t.createdAt)],
);

export type JobStep = {
  step: string;
  status: "started" | "done" | "failed";
  message?: string;
  ts: number;
};

export const optimizationJobs = pgTable(
  "optimization_jobs",
  {
    id: text("id").primaryKey(),
    orgId: text("org_id")
      .notNull()
      .references(() => orgs.id, { onDelete: "cascade" }),
    modelId: text("model_id")
      .notNull()
      .references(() => models.id, { onDelete: "cascade" }),
    recipe: jsonb("recipe").$type<string[]>().notNull(),
    status: jobStatusEnum("status").notNull().default("queued"),
    steps: jsonb("steps").$type<JobStep[]>().notNull().default([]),
    /** How the passes run for this job (accuracy goal, calibration method); validated by the web's service. */
    settings: jsonb("settings").$type<JobSettings>().notNull().default({}),
    /** Progress in whole percent, 0..100 (the wire's 0..1 fraction × 100). */
    fraction: bigint("fraction_pct", { mode: "number" }).notNull().default(0),
    error: text("error"),
    createdBy: text("created_by").references(() => users.id, { onDelete: "set null" }),
    createdAt: timestamp("created_at", { withTimezone: true }).notNull().defaultNow(),
    startedAt: timestamp("started_at", { withTimezone: true }),
    finishedAt: timestamp("finished_at", { withTimezone: true }),
  },
  (t) => [
    index("optimization_jobs_model_idx").on(t.modelId, t.createdAt),
    index("optimization_jobs_org_idx").on(t.orgId),
  ],
);

export type ModelDataset = {
  objectName: string;
  sha256: string;
  sizeBytes: number;
  fileName: string;
  /** Samples (the first dimension shared by every array). */
  samples: number;
  arrays: Array<{ name: string; dtype: string; shape: number[] }>;
  /** Holds a `labels` array (accuracy is then measured against it). */
  hasLabels: boolean;
  uploadedAt: string;
};

export type ModelDatasets = { calibration?: ModelDataset; evaluation?: ModelDataset };

export type JobSettings = {
  /** The accuracy-aware pass's goal for this job. */
  goal?: { maxAccuracyDrop?: number; maxFidelityLoss?: number };
  /** Static int8 calibration method for this job. */
  calibration?: "minmax" | "percentile" | "entropy";
};

/** Figures measured for a variant (by the engine's evaluator), each labelled with how it was measured. */
export type VariantMetrics = {
  params?: number;
  fidelity?: { cosine: number; maxAbsError: number; samples: number } | null;
  latencyMsP50?: number | null;
  energyJPerInference?: number | null;
  [k: string]: unknown;
};

export const modelVariants = pgTable(
  "model_variants",
  {
    id: text("id").primaryKey(),
    orgId: text("org_id")
      .notNull()
      .references(() => orgs.id, { onDelete: "cascade" }),
    modelId: text("model_id")
      .notNull()
      .references(() => models.id, { onDelete: "cascade" }),
    jobId: text("job_id").references(() => optimizationJobs.id, { onDelete: "set null" }),
    /** e.g. `fp32` (the original), `int8-dynamic`. */
    name: text("name").notNull(),
    passes: jsonb("passes").$type<string[]>().notNull(),
    status: variantStatusEnum("status").notNull(),
    error: text("error"),
    objectName: text("object_name"),
    sha256: text("sha256"),
    sizeBytes: bigint("size_bytes", { mode: "number" }),
    metrics: jsonb("metrics").$type<VariantMetrics>().notNull().default({}),
    createdAt: timestamp("created_at", { withTimezone: true }).notNull().defaultNow(),
  },
  (t) => [uniqueIndex("model_variants_model_name_uq").on(t.modelId, t.name)],
);
