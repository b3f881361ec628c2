import type { JobStatus } from "@edgewatt/protocol";
import { Badge } from "./ui";

const JOB_TONE = {
  queued: "gray",
  running: "blue",
  succeeded: "green",
  failed: "red",
  cancelled: "gray",
} as const;

export function JobStatusBadge({ status }: { status: JobStatus }) {
  return <Badge tone={JOB_TONE[status]}>{status}</Badge>;
}

export function VariantStatusBadge({ status }: { status: "ready" | "failed" }) {
  return <Badge tone={status === "ready" ? "green" : "red"}>{status}</Badge>;
}

const PRESENCE = {
  online: { tone: "green", label: "online" },
  offline: { tone: "amber", label: "offline" },
  "never-seen": { tone: "gray", label: "waiting for agent" },
  revoked: { tone: "red", label: "revoked" },
} as const;

export function PresenceBadge({ presence }: { presence: keyof typeof PRESENCE }) {
  const p = PRESENCE[presence];
  return <Badge tone={p.tone}>{p.label}</Badge>;
}

const TOKEN_TONE = { active: "green", expired: "gray", exhausted: "gray", revoked: "red" } as const;

export function TokenStateBadge({ state }: { state: keyof typeof TOKEN_TONE }) {
  return <Badge tone={TOKEN_TONE[state]}>{state}</Badge>;
}
