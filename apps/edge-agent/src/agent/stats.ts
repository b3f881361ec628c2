import type { OutboxStats } from "../telemetry/outbox";
import type { TelemetryStats } from "../telemetry/telemetry-publisher";

/** Live counters of a running agent (the object is updated in place). */
export interface AgentStats {
  connected: boolean;
  inferences: number;
  inferenceErrors: number;
  /** Requests dropped because the queue was full (inference slower than --rate). */
  requestsDropped: number;
  assignmentsSeen: number;
  /** Assignments that failed to decode or were not addressed to this device; ignored. */
  assignmentsInvalid: number;
  assignmentsRemoved: number;
  variantsLoaded: number;
  /** Variants refused: sha256 mismatch, download failure, load or warm-up failure. */
  variantsRejected: number;
  downloads: number;
  cacheHits: number;
  heartbeats: number;
  activeVariant: string | null;
  lastError: string | null;
  telemetry: TelemetryStats;
  outbox: OutboxStats;
}

export const COUNTER_KEYS = [
  "inferences",
  "inferenceErrors",
  "requestsDropped",
  "assignmentsSeen",
  "assignmentsInvalid",
  "assignmentsRemoved",
  "variantsLoaded",
  "variantsRejected",
  "downloads",
  "cacheHits",
  "heartbeats",
] as const satisfies ReadonlyArray<keyof AgentStats>;
