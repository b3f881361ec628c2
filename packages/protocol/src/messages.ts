/** zod schemas for every message on NATS and every agent-facing HTTP call. */
import { z } from "zod";
import { defineMessage } from "./codec";
import { ENERGY_SOURCES, JOB_KINDS, POWER_STATES, PRIORITIES, SCHEDULER_MODES } from "./enums";
import { ZPolicyArtifact } from "./policy";

const Id = z.string().regex(/^[A-Za-z0-9_-]{1,128}$/, "ids are 1-128 chars of A-Z a-z 0-9 _ -");
const Sha256 = z.string().regex(/^[0-9a-f]{64}$/, "sha256 must be 64 lowercase hex chars");
const Timestamp = z.number().int().nonnegative().describe("epoch milliseconds");

// ---------------------------------------------------------------- enrollment (HTTP, agent → web)

export const ZEnrollmentRequest = z.object({
  token: z.string().min(8).max(512),
  name: z.string().trim().min(1).max(120).optional(),
  agentVersion: z.string().max(64),
  platform: z.object({
    os: z.string().max(64),
    arch: z.string().max(64),
    hostname: z.string().max(255).optional(),
    cpus: z.number().int().positive().optional(),
    memBytes: z.number().int().nonnegative().optional(),
  }),
  meters: z.array(z.enum(ENERGY_SOURCES)).max(10).default([]),
  /** The device's own NATS user public key (nkey, starts with U) when it holds its seed itself. */
  natsPublicKey: z
    .string()
    .regex(/^U[A-Z2-7]{55}$/)
    .optional(),
});
export type EnrollmentRequest = z.infer<typeof ZEnrollmentRequest>;

export const ZNatsCredentials = z.object({ jwt: z.string().min(1), seed: z.string().min(1).optional() });

export const ZEnrollmentResponse = z.object({
  deviceId: Id,
  orgId: Id,
  deviceName: z.string(),
  groupId: Id.nullable(),
  nats: z.object({
    servers: z.array(z.string().min(1)).min(1),
    /** Absent when the server runs without auth (one-machine default). */
    credentials: ZNatsCredentials.optional(),
  }),
  buckets: z.object({ deploy: z.string(), policy: z.string(), models: z.string() }),
  assignmentKey: z.string(),
  subjects: z.object({ telemetry: z.string(), heartbeat: z.string(), prefix: z.string() }),
});
export type EnrollmentResponse = z.infer<typeof ZEnrollmentResponse>;

/** Error body of every agent-facing HTTP call. */
export const ZApiError = z.object({ error: z.object({ code: z.string(), message: z.string() }) });
export type ApiError = z.infer<typeof ZApiError>;

// ---------------------------------------------------------------- variants and deployments (KV DEPLOY)

export const ZTensorSpec = z.object({
  name: z.string(),
  elemType: z.string(),
  shape: z.array(z.union([z.number().int(), z.string()])),
});
export type TensorSpec = z.infer<typeof ZTensorSpec>;

export const ZVariantManifest = z.object({
  variantId: Id,
  name: z.string().min(1).max(64),
  bucket: z.string(),
  objectName: z.string(),
  sha256: Sha256,
  sizeBytes: z.number().int().positive(),
  passes: z.array(z.string()),
  inputs: z.array(ZTensorSpec),
  outputs: z.array(ZTensorSpec),
  /** Measured quality relative to the original (1 = identical), when known. */
  fidelity: z.number().min(-1).max(1).nullable().default(null),
  /**
   * The control plane's measured energy per inference (J) and latency (ms) of this variant, when known. The energy
   * comes from the evaluator's energy model (its source is labelled where it is reported); a device's own
   * measurements take precedence in its scheduler.
   */
  energyJ: z.number().nonnegative().finite().nullable().default(null),
  latencyMs: z.number().nonnegative().finite().nullable().default(null),
});
export type VariantManifest = z.infer<typeof ZVariantManifest>;

export const ZDeploymentAssignment = defineMessage({
  type: "deploy.assignment",
  version: 1,
  schema: z.object({
    deploymentId: Id,
    orgId: Id,
    deviceId: Id,
    modelId: Id,
    modelName: z.string(),
    ladder: z.array(ZVariantManifest).min(1),
    policy: z
      .object({
        mode: z.enum(SCHEDULER_MODES),
        /** For `static`: the variant to run. */
        variant: z.string().optional(),
        /** The policy itself, inline. */
        artifact: ZPolicyArtifact.schema.optional(),
        /** KV POLICY key holding a `policy.artifact` message (learned policies are shipped separately). */
        key: z
          .string()
          .regex(
            /^[-/_=A-Za-z0-9]+(\.[-/_=A-Za-z0-9]+)*$/,
            "a KV key is dot-separated tokens of A-Z a-z 0-9 - / _ =",
          )
          .max(255)
          .optional(),
      })
      .refine((p) => !p.artifact || p.artifact.mode === p.mode, {
        message: "the inline policy artifact's mode must match the assignment's policy mode",
        path: ["artifact", "mode"],
      }),
    updatedAt: Timestamp,
  }),
});
export type DeploymentAssignment = z.infer<typeof ZDeploymentAssignment.schema>;

// ---------------------------------------------------------------- telemetry (JetStream TELEMETRY)

export const ZDeviceState = z.object({
  batteryPct: z.number().min(0).max(100).nullable().default(null),
  powerState: z.enum(POWER_STATES).default("unknown"),
  cpuPct: z.number().min(0).nullable().default(null),
  memBytes: z.number().int().nonnegative().nullable().default(null),
  queueDepth: z.number().int().nonnegative().default(0),
});
export type DeviceState = z.infer<typeof ZDeviceState>;

export const ZTelemetrySample = z.object({
  seq: z.number().int().nonnegative(),
  ts: Timestamp,
  kind: z.enum(["inference", "periodic"]),
  energyJ: z.number().nonnegative().finite(),
  energySource: z.enum(ENERGY_SOURCES),
  /** Wall time the sample covers (ms); for an inference, its latency. */
  durationMs: z.number().nonnegative().finite(),
  modelId: Id.nullable().default(null),
  variant: z.string().max(64).nullable().default(null),
  threads: z.number().int().positive().nullable().default(null),
  priority: z.enum(PRIORITIES).nullable().default(null),
  ok: z.boolean().default(true),
  /**
   * For an inference: why the scheduler ran this variant — the policy's reason code (e.g. "battery-low"), its mode
   * and artifact version, and the variant it wanted when a substitute served while that one was warming.
   */
  decision: z
    .object({
      reason: z.string().max(128),
      policy: z.enum(SCHEDULER_MODES),
      policyVersion: z.number().int().nullable().default(null),
      wanted: z.string().max(64).nullable().default(null),
    })
    .nullable()
    .default(null),
  state: ZDeviceState.default({
    batteryPct: null,
    powerState: "unknown",
    cpuPct: null,
    memBytes: null,
    queueDepth: 0,
  }),
});
export type TelemetrySample = z.infer<typeof ZTelemetrySample>;

export const ZTelemetryBatch = defineMessage({
  type: "telemetry.batch",
  version: 1,
  schema: z
    .object({
      orgId: Id,
      deviceId: Id,
      /** One id per agent process start; (device, boot, seq) is unique. */
      boot: Id,
      simulated: z.boolean().default(false),
      samples: z.array(ZTelemetrySample).min(1).max(1000),
    })
    .refine((b) => new Set(b.samples.map((s) => s.seq)).size === b.samples.length, {
      message: "sample seq numbers must be unique within a batch",
      path: ["samples"],
    }),
});
export type TelemetryBatch = z.infer<typeof ZTelemetryBatch.schema>;

export const ZHeartbeat = defineMessage({
  type: "device.heartbeat",
  version: 1,
  schema: z.object({
    orgId: Id,
    deviceId: Id,
    boot: Id,
    ts: Timestamp,
    uptimeS: z.number().nonnegative(),
    agentVersion: z.string(),
    meter: z.enum(ENERGY_SOURCES),
    modelId: Id.nullable().default(null),
    variant: z.string().nullable().default(null),
    outboxDepth: z.number().int().nonnegative().default(0),
    state: ZDeviceState,
  }),
});
export type Heartbeat = z.infer<typeof ZHeartbeat.schema>;

// ---------------------------------------------------------------- jobs (JetStream JOBS work queue)

export const ZJobRequest = defineMessage({
  type: "job.request",
  version: 1,
  schema: z.object({
    jobId: Id,
    orgId: Id,
    kind: z.enum(JOB_KINDS),
    modelId: Id,
    recipe: z.array(z.string().min(1)).min(1),
  }),
});
export type JobRequest = z.infer<typeof ZJobRequest.schema>;

export const ZJobProgress = defineMessage({
  type: "job.progress",
  version: 1,
  schema: z.object({
    jobId: Id,
    step: z.string(),
    status: z.enum(["started", "done", "failed"]),
    message: z.string().optional(),
    /** 0..1 over the whole job. */
    fraction: z.number().min(0).max(1),
    ts: Timestamp,
  }),
});
export type JobProgress = z.infer<typeof ZJobProgress.schema>;

export const ZJobResult = defineMessage({
  type: "job.result",
  version: 1,
  schema: z.object({
    jobId: Id,
    status: z.enum(["succeeded", "failed"]),
    variants: z.array(
      z.object({ variantId: Id, name: z.string(), sha256: Sha256, sizeBytes: z.number().int() }),
    ),
    failures: z.array(z.object({ name: z.string(), step: z.string(), error: z.string() })),
    error: z.string().optional(),
  }),
});
export type JobResult = z.infer<typeof ZJobResult.schema>;
