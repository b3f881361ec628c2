/**
 * The policy a deployment asks for, from either a policy artifact (inline or fetched from KV POLICY) or an old-style
 * assignment policy `{ mode, variant }`:
 * - artifact, validated again here (it may come from anywhere): its mode's policy, with its id and version;
 * - `{ mode: "static", variant }`: that variant with the agent's threads;
 * - `{ mode: "rule" }`: a rule policy with every threshold at its default and the agent's threads;
 * - `{ mode: "learned" }` without an artifact, an unknown mode or an invalid artifact: a static policy on the first
 *   ladder variant, and `fallbackReason` says what was wrong and what runs instead.
 * Every thread count is capped at `maxThreads` (the device's cores).
 */
import {
  MAX_POLICY_THREADS,
  type PolicyArtifact,
  SCHEDULER_MODES,
  type SchedulerMode,
  ZPolicyArtifact,
  ZRuleConfig,
} from "@edgewatt/protocol";
import { LearnedPolicy } from "./learned-policy";
import { RulePolicy } from "./rule-policy";
import { StaticPolicy } from "./static-policy";
import { capThreads } from "./threads";
import type { SchedulerPolicy } from "./types";

export type PolicySource = PolicyArtifact | { mode: SchedulerMode; variant?: string };

export interface CreatePolicyOptions {
  /** The agent's configured intra-op threads (used when the source does not say). */
  threads: number;
  /** The device's cores; caps every thread count. */
  maxThreads: number;
}

export interface CreatePolicyResult {
  policy: SchedulerPolicy;
  /** Set when the policy running is not the one asked for: what was wrong and what runs instead. */
  fallbackReason?: string;
}

const FALLBACK = "running the first ladder variant statically instead";
/** A source with any of these is an artifact (and validated as one); otherwise it is an old-style `{ mode, variant }`. */
const ARTIFACT_KEYS = [
  "policyId",
  "version",
  "orgId",
  "name",
  "static",
  "rule",
  "learned",
  "createdAt",
] as const;

export function createPolicy(source: PolicySource, opts: CreatePolicyOptions): CreatePolicyResult {
  const threads = capThreads(opts.threads, opts.maxThreads);
  const fallback = (why: string): CreatePolicyResult => ({
    policy: new StaticPolicy({ threads }),
    fallbackReason: `${why}; ${FALLBACK}`,
  });

  if (typeof source !== "object" || source === null) return fallback("no policy was given");
  if (!ARTIFACT_KEYS.some((k) => k in source)) {
    const { mode, variant } = source as { mode: unknown; variant?: unknown };
    switch (mode) {
      case "static":
        return {
          policy: new StaticPolicy({ variant: typeof variant === "string" ? variant : undefined, threads }),
        };
      case "rule":
        return {
          policy: new RulePolicy({
            config: ZRuleConfig.parse({ threads: Math.min(threads, MAX_POLICY_THREADS) }),
            maxThreads: opts.maxThreads,
          }),
        };
      case "learned":
        return fallback(
          "a learned policy needs a policy artifact (inline or under a POLICY key) and none was given",
        );
      default:
        return fallback(
          `unknown policy mode ${JSON.stringify(mode)} (expected one of ${SCHEDULER_MODES.join(", ")})`,
        );
    }
  }

  const parsed = ZPolicyArtifact.schema.safeParse(source);
  if (!parsed.success) {
    const issues = parsed.error.issues
      .slice(0, 5)
      .map((i) => `${i.path.join(".") || "(root)"}: ${i.message}`)
      .join("; ");
    const id = (source as { policyId?: unknown }).policyId;
    const label = typeof id === "string" ? `policy ${id}` : "the policy artifact";
    return fallback(`${label} is invalid (${issues})`);
  }
  const artifact = parsed.data;
  const identity = { policyId: artifact.policyId, version: artifact.version };
  // The artifact schema guarantees the payload of the artifact's mode is present.
  switch (artifact.mode) {
    case "static": {
      const cfg = artifact.static!;
      return {
        policy: new StaticPolicy({
          ...identity,
          variant: cfg.variant,
          threads: capThreads(cfg.threads, opts.maxThreads),
        }),
      };
    }
    case "rule":
      return { policy: new RulePolicy({ ...identity, config: artifact.rule!, maxThreads: opts.maxThreads }) };
    case "learned":
      return {
        policy: new LearnedPolicy({
          ...identity,
          config: artifact.learned!,
          threads,
          maxThreads: opts.maxThreads,
        }),
      };
  }
}
