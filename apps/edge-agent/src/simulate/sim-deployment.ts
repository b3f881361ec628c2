/**
 * What a virtual device serves: its ladder (only variants the simulator can run), the manifests and local files of
 * those variants, and its scheduling policy — built from the device's own DEPLOY assignment (inline policy, or the
 * versioned artifact in KV POLICY it points at), or, with `--model`, one local model run statically by every device.
 */
import { createPolicy, type LadderEntry, type SchedulerPolicy } from "@edgewatt/engine/scheduler";
import {
  type DeploymentAssignment,
  decode,
  type PolicyArtifact,
  type VariantManifest,
  ZPolicyArtifact,
} from "@edgewatt/protocol";

export interface SimDeployment {
  deploymentId: string | null;
  modelId: string | null;
  /** Runnable variants, in the control plane's order. */
  ladder: readonly LadderEntry[];
  manifests: ReadonlyMap<string, VariantManifest>;
  /** Local file of each runnable variant (empty with `--compute none`: nothing runs). */
  files: ReadonlyMap<string, string>;
  policy: SchedulerPolicy;
  /** Why the policy is not the one asked for, when it is not. */
  policyNote: string | null;
}

export function ladderEntry(v: VariantManifest): LadderEntry {
  return {
    name: v.name,
    fidelity: v.fidelity,
    sizeBytes: v.sizeBytes,
    energyJ: v.energyJ ?? null,
    latencyMs: v.latencyMs ?? null,
  };
}

export interface PolicyChoice {
  policy: SchedulerPolicy;
  note: string | null;
}

/**
 * The policy an assignment asks for: its inline artifact, else the artifact under its POLICY key (when given and
 * readable), else its mode and variant. Falls back as createPolicy does, and says why.
 */
export function policyForAssignment(
  assignment: DeploymentAssignment,
  artifactBytes: Uint8Array | null,
  opts: { threads: number; maxThreads: number },
): PolicyChoice {
  let source: PolicyArtifact | { mode: DeploymentAssignment["policy"]["mode"]; variant?: string } = assignment
    .policy.artifact ?? {
    mode: assignment.policy.mode,
    ...(assignment.policy.variant ? { variant: assignment.policy.variant } : {}),
  };
  let note: string | null = null;
  const key = assignment.policy.key;
  if (key) {
    if (!artifactBytes) note = `policy ${key} is not in KV POLICY`;
    else {
      const artifact = decode(ZPolicyArtifact, artifactBytes);
      if (artifact.ok) source = artifact.value;
      else note = `policy ${key} is malformed: ${artifact.error.message}`;
    }
  }
  const built = createPolicy(source, opts);
  return { policy: built.policy, note: [note, built.fallbackReason].filter(Boolean).join("; ") || null };
}

/** The variant a static policy runs (the only one worth fetching for it). */
export function staticChoice(policy: SchedulerPolicy, ladder: readonly LadderEntry[]): string | null {
  if (ladder.length === 0) return null;
  return policy.decide({
    ladder,
    priority: "normal",
    batteryPct: null,
    batteryTrendPctPerHour: null,
    powerState: "unknown",
    queueDepth: 0,
    recentLatencyMsP50: null,
    observedEnergyJ: new Map(),
  }).variant;
}

export function buildDeployment(opts: {
  assignment: DeploymentAssignment | null;
  variants: readonly VariantManifest[];
  files: ReadonlyMap<string, string>;
  /** With `--compute none` every ladder variant is runnable (nothing runs). */
  computeNone: boolean;
  policy: PolicyChoice;
}): SimDeployment {
  const runnable = opts.variants.filter((v) => opts.computeNone || opts.files.has(v.name));
  return {
    deploymentId: opts.assignment?.deploymentId ?? null,
    modelId: opts.assignment?.modelId ?? null,
    ladder: runnable.map(ladderEntry),
    manifests: new Map(runnable.map((v) => [v.name, v])),
    files: opts.files,
    policy: opts.policy.policy,
    policyNote: opts.policy.note,
  };
}
