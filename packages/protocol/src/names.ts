/**
 * Every NATS subject, stream, consumer, KV bucket and object-store name is built here, and only here.
 * Tokens are validated so a caller can never build a subject with wildcards or separators in an id.
 */
import { ProtocolError } from "./errors";

const TOKEN = /^[A-Za-z0-9_-]{1,128}$/;

/** Checks one subject token (an org id, a device id…): no dots, spaces or wildcards. */
export function subjectToken(kind: string, value: string): string {
  if (!TOKEN.test(value)) {
    throw new ProtocolError(
      "INVALID_SUBJECT_TOKEN",
      `${kind} "${value}" is not a valid subject token (A-Z a-z 0-9 _ - only)`,
    );
  }
  return value;
}

export const STREAMS = {
  telemetry: "TELEMETRY",
  jobs: "JOBS",
  events: "EVENTS",
} as const;

export const CONSUMERS = {
  telemetryIngest: "telemetry-ingest",
  jobWorkers: "job-workers",
} as const;

export const KV_BUCKETS = {
  deploy: "DEPLOY",
  policy: "POLICY",
} as const;

export const OBJECT_BUCKETS = {
  models: "MODELS",
} as const;

const ROOT = "ew";

export const subjects = {
  /** Everything a device may publish lives under this prefix. */
  devicePrefix: (org: string, device: string) =>
    `${ROOT}.${subjectToken("org", org)}.dev.${subjectToken("device", device)}`,
  telemetryEnergy: (org: string, device: string) => `${subjects.devicePrefix(org, device)}.tele.energy`,
  heartbeat: (org: string, device: string) => `${subjects.devicePrefix(org, device)}.evt.heartbeat`,
  deviceEvent: (org: string, device: string, type: string) =>
    `${subjects.devicePrefix(org, device)}.evt.${subjectToken("event type", type)}`,
  deviceCommand: (org: string, device: string, verb: string) =>
    `${subjects.devicePrefix(org, device)}.cmd.${subjectToken("verb", verb)}`,
  /** Stream filters. */
  allTelemetry: () => `${ROOT}.*.dev.*.tele.>`,
  allDeviceEvents: () => `${ROOT}.*.dev.*.evt.>`,
  allHeartbeats: () => `${ROOT}.*.dev.*.evt.heartbeat`,
  jobRequest: (kind: string) => `${ROOT}.jobs.${subjectToken("job kind", kind)}`,
  allJobRequests: () => `${ROOT}.jobs.*`,
  jobProgress: (org: string, job: string) =>
    `${ROOT}.${subjectToken("org", org)}.job.${subjectToken("job", job)}.progress`,
} as const;

/** Parses a device subject back into its org and device ids (null when it is not one). */
export function parseDeviceSubject(subject: string): { org: string; device: string } | null {
  const parts = subject.split(".");
  if (parts.length < 5 || parts[0] !== ROOT || parts[2] !== "dev") return null;
  const org = parts[1];
  const device = parts[3];
  if (!org || !device || !TOKEN.test(org) || !TOKEN.test(device)) return null;
  return { org, device };
}

/** KV keys. NATS KV keys allow dots as separators; ids are validated tokens. */
export const kvKeys = {
  deviceAssignment: (org: string, device: string) =>
    `${subjectToken("org", org)}.${subjectToken("device", device)}`,
  groupPolicy: (org: string, group: string) => `${subjectToken("org", org)}.${subjectToken("group", group)}`,
} as const;

/** Object-store names for model files: <org>/<model>/<variant>.onnx */
export const objectNames = {
  modelOriginal: (org: string, model: string) =>
    `${subjectToken("org", org)}/${subjectToken("model", model)}/original.onnx`,
  modelVariant: (org: string, model: string, variant: string) =>
    `${subjectToken("org", org)}/${subjectToken("model", model)}/${subjectToken("variant", variant)}.onnx`,
  /** A model's calibration or evaluation data (.npz). */
  modelData: (org: string, model: string, kind: "calibration" | "evaluation") =>
    `${subjectToken("org", org)}/${subjectToken("model", model)}/data-${kind}.npz`,
} as const;

/** JetStream Msg-Id for a telemetry batch: `<device>:<boot>:<seq>` of its first sample. */
export function telemetryMsgId(device: string, boot: string, seq: number): string {
  return `${subjectToken("device", device)}:${subjectToken("boot", boot)}:${seq}`;
}
